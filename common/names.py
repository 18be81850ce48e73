"""How a person is named to other people, everywhere (messages, pages, calendars, CSV): their full
name, or their username when they have none."""


def person(user) -> str:
    return user.get_full_name() or user.get_username()
