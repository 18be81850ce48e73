"""The header's navigation, written once: what each role is offered, grouped, and which entry is
the page being looked at (`aria-current="page"`, so it is marked for eyes and screen readers alike).

URL names are strings resolved at render time, so this plumbing imports no app."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    also: frozenset = frozenset()  # pages that belong to this entry (a booking belongs to My bookings)

    def matches(self, current: str | None) -> bool:
        return current == self.url_name or current in self.also


MAIN = (
    # The catalogue (home) is the brand's page, and the booking form is reached from it and from the
    # calendars: neither is marked as another entry's.
    Entry("Calendar", "calendar", frozenset({"site-calendar", "timeline", "schedule", "resource-calendar"})),
    Entry(
        "My bookings",
        "my-bookings",
        frozenset({"reservation-detail", "reservation-cancel", "reservation-use", "lease-detail", "lease-cancel"}),
    ),
    Entry("Find and book", "lease-new"),
    Entry("Training", "training", frozenset({"training-queue", "qualification-revoke"})),
    Entry("Projects", "projects", frozenset({"project-detail", "statement", "billing-usage"})),
    Entry("Registry", "registry", frozenset({"allocation-history", "allocation-edit", "allocation-release"})),
)
OPERATIONS = (
    Entry("Approvals", "approvals"),
    Entry("Corrections", "corrections"),
    Entry("Dashboard", "dashboard"),
    Entry("Explorer", "explorer"),
    Entry("Utilization", "utilization"),
    Entry("Fair use", "fair-use"),
    Entry("Webhooks", "webhook-list", frozenset({"webhook-detail", "webhook-deliveries"})),
    Entry("Users", "people", frozenset({"person"})),
    Entry("Audit log", "audit-log"),
)
PERSONAL = (
    Entry("Profile", "profile", frozenset({"calendar-link-new"})),
    Entry("Notifications", "notifications"),
)


def _links(entries, current) -> list[dict]:
    links = []
    for entry in entries:
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        links.append({"label": entry.label, "url": url, "current": entry.matches(current)})
    return links


def belongs_to(request, owner_id: int | None) -> None:
    """A booking's or lease's page is under My bookings only when it is the viewer's own."""
    if owner_id != getattr(request.user, "pk", None):
        request.navigation_url_name = None


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match is not None else None
    current = getattr(request, "navigation_url_name", current)
    operations = _links(OPERATIONS, current) if user.is_staff else []
    # Members read their own audit trail; it sits with their personal pages.
    personal = _links(PERSONAL if user.is_staff else (*PERSONAL, OPERATIONS[-1]), current)
    return {
        "nav_main": _links(MAIN, current),
        "nav_operations": operations,
        "nav_operations_current": any(link["current"] for link in operations),
        "nav_personal": personal,
        "nav_personal_current": any(link["current"] for link in personal),
    }
