"""The operators' console for bookings: scoped like everything else, writes through the services."""

from datetime import UTC

import pytest

from reservations import services
from reservations.models import Reservation
from tests.factories import ResourceFactory, ResourceTypeFactory
from webhooks.models import Event

from .conftest import at

pytestmark = pytest.mark.django_db
LIST = "/admin/reservations/reservation/"


@pytest.fixture
def bookings(member, site_admin, outsider, tree, site_b):
    mine = services.reservation_create(actor=member, resource=tree["gpu0"], start=at(1, 9), end=at(1, 10), title="mine")
    boston = ResourceFactory(site=site_b, resource_type=ResourceTypeFactory(name="Node"), name="boston-node")
    theirs = services.reservation_create(
        actor=outsider, resource=boston, start=at(1, 9), end=at(1, 10), title="in boston"
    )
    return {"mine": mine, "boston": theirs}


def rows(response) -> str:
    return response.content.decode()


def test_a_site_administrator_sees_only_the_bookings_of_their_sites(client, site_admin, bookings):
    client.force_login(site_admin)
    page = rows(client.get(LIST))
    assert "mine" in page and "in boston" not in page
    assert client.get(f"{LIST}{bookings['boston'].pk}/change/").status_code in (302, 404)


def test_filters_search_and_site_times(client, admin_user, bookings, site_a):
    client.force_login(admin_user)
    page = rows(client.get(LIST, {"resource__site__id__exact": site_a.pk, "when": "upcoming", "q": "mine"}))
    assert "mine" in page and "in boston" not in page
    assert at(1, 9).strftime("%H:%M") + " CET" in page or at(1, 9).strftime("%H:%M") + " CEST" in page
    assert "in boston" in rows(client.get(LIST, {"when": "upcoming"}))
    assert "mine" not in rows(client.get(LIST, {"when": "past"}))


def test_the_change_form_goes_through_the_service_with_its_messages(client, site_admin, member, tree, bookings):
    client.force_login(site_admin)
    start, end = at(1, 9, 30).astimezone(UTC), at(1, 10, 30).astimezone(UTC)  # the operator has no zone yet: UTC
    form = {
        "resource": tree["server"].pk,
        "owner": member.pk,
        "start_0": f"{start:%Y-%m-%d}",
        "start_1": f"{start:%H:%M:%S}",
        "end_0": f"{end:%Y-%m-%d}",
        "end_1": f"{end:%H:%M:%S}",
        "title": "clashes with the GPU",
        "description": "",
        "parameters": "{}",
    }
    response = client.post(f"{LIST}add/", form)
    assert response.status_code == 200  # the form again, with the conflict named
    assert "dgx-01-gpu0 is already booked" in rows(response)
    assert not Reservation.objects.filter(title="clashes with the GPU").exists()

    mine = bookings["mine"]
    change = client.get(f"{LIST}{mine.pk}/change/")
    assert change.status_code == 200
    data = {
        "resource": mine.resource_id,
        "owner": mine.owner_id,
        "start_0": change.context["adminform"].form["start"].value().strftime("%Y-%m-%d"),
        "start_1": change.context["adminform"].form["start"].value().strftime("%H:%M:%S"),
        "end_0": change.context["adminform"].form["end"].value().strftime("%Y-%m-%d"),
        "end_1": change.context["adminform"].form["end"].value().strftime("%H:%M:%S"),
        "title": "renamed by the operator",
        "description": "",
        "parameters": "{}",
    }
    assert client.post(f"{LIST}{mine.pk}/change/", data).status_code == 302
    mine.refresh_from_db()
    assert mine.title == "renamed by the operator"
    assert Event.objects.filter(type="reservation.updated", payload__data__reservation__id=mine.pk).count() == 1


def test_cancel_with_a_reason_asks_first_then_cancels_and_keeps_the_record(client, site_admin, bookings):
    client.force_login(site_admin)
    mine = bookings["mine"]
    ask = client.post(LIST, {"action": "cancel_with_reason", "_selected_action": [mine.pk]})
    assert ask.status_code == 200 and "Cancel the bookings" in rows(ask)
    mine.refresh_from_db()
    assert mine.status == "confirmed"
    done = client.post(
        LIST,
        {"action": "cancel_with_reason", "_selected_action": [mine.pk], "apply": "1", "reason": "GPU swap"},
        follow=True,
    )
    assert "1 bookings cancelled." in rows(done) or "1 reservations cancelled." in rows(done)
    mine.refresh_from_db()
    assert (mine.status, mine.cancel_reason) == ("cancelled", "GPU swap")
    view = client.get(f"{LIST}{mine.pk}/change/")
    assert view.status_code == 200 and 'name="_save"' not in rows(view)  # read-only now
    assert "GPU swap" in rows(view)


def test_csv_export_of_the_selection_in_site_time(client, admin_user, bookings):
    client.force_login(admin_user)
    response = client.post(LIST, {"action": "export_csv", "_selected_action": [bookings["mine"].pk]})
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("id,title,site,resource")
    assert "mine" in lines[1] and at(1, 9).isoformat() in lines[1] and "Europe/Berlin" in lines[1]


def test_series_admin_cancels_what_remains(client, site_admin, member, tree):
    result = services.series_create(
        actor=member, resource=tree["gpu1"], start=at(1, 9), end=at(1, 10), rrule="FREQ=DAILY;COUNT=3"
    )
    client.force_login(site_admin)
    page = rows(client.get(f"/admin/reservations/series/{result.series.pk}/change/"))
    assert "Bookings" in page and page.count('class="field-status"') >= 3  # the occurrences, inline
    client.post("/admin/reservations/series/", {"action": "cancel_remaining", "_selected_action": [result.series.pk]})
    assert set(result.series.occurrences.values_list("status", flat=True)) == {"cancelled"}


def test_members_have_no_console(client, member, bookings):
    client.force_login(member)
    assert client.get(LIST).status_code in (302, 403)


def test_a_booking_links_to_its_events_and_a_resource_to_its_bookings(client, admin_user, bookings):
    mine = bookings["mine"]
    client.force_login(admin_user)
    page = rows(client.get(f"{LIST}{mine.pk}/change/"))
    assert f"/admin/webhooks/event/?booking={mine.pk}" in page
    events = rows(client.get(f"/admin/webhooks/event/?booking={mine.pk}"))
    assert "reservation.created" in events and "1 event" in events
    resource_page = rows(client.get(f"/admin/resources/resource/{mine.resource_id}/change/"))
    assert f"/admin/reservations/reservation/?resource__id__exact={mine.resource_id}" in resource_page
    listed = rows(client.get(LIST, {"resource__id__exact": mine.resource_id}))
    assert "mine" in listed and "in boston" not in listed


def test_an_occurrence_edited_in_the_admin_can_move_the_following_ones(client, site_admin, member, tree):
    occurrences = services.series_create(
        actor=member, resource=tree["gpu1"], start=at(1, 9), end=at(1, 10), rrule="FREQ=DAILY;COUNT=3", title="daily"
    ).created
    second = occurrences[1]
    client.force_login(site_admin)
    change = client.get(f"{LIST}{second.pk}/change/")
    form = change.context["adminform"].form
    assert "apply_to" in form.fields
    data = {
        "resource": second.resource_id,
        "owner": second.owner_id,
        "start_0": form["start"].value().strftime("%Y-%m-%d"),
        "start_1": form["start"].value().strftime("%H:%M:%S"),
        "end_0": form["end"].value().strftime("%Y-%m-%d"),
        "end_1": form["end"].value().strftime("%H:%M:%S"),
        "title": "daily, renamed",
        "description": "",
        "parameters": "{}",
        "apply_to": "following",
    }
    assert client.post(f"{LIST}{second.pk}/change/", data).status_code == 302
    titles = [r.title for r in Reservation.objects.filter(series=second.series).order_by("start")]
    assert titles == ["daily", "daily, renamed", "daily, renamed"]
