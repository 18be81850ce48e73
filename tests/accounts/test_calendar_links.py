"""iCalendar links: one secret per feed, only its digest stored, revocable one by one or all at
once, and out of the access log (the key travels in the query string, which the log leaves out)."""

import hashlib
import re

import pytest
from django.db import connection

from accounts import services
from accounts.models import CalendarFeed
from audit.models import AuditEntry
from resources.models import Resource
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

KEY = re.compile(r"/ical/feed\.ics\?key=(cal_[\w-]+)")


@pytest.fixture
def gpu(site_a):
    return ResourceFactory(site=site_a, name="gpu-7")


def key_from(page) -> str:
    return KEY.search(page.content.decode()).group(1)


def test_only_a_digest_is_stored(member):
    _, secret = services.calendar_feed_create(actor=member, user=member)
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(f)::text FROM accounts_calendarfeed f")
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert secret not in stored and hashlib.sha256(secret.encode()).hexdigest() in stored


def test_each_link_opens_its_own_feed_only(client, member, gpu):
    _, mine = services.calendar_feed_create(actor=member, user=member)
    _, resource = services.calendar_feed_create(actor=member, user=member, resource=gpu)
    assert client.get(f"/ical/feed.ics?key={mine}")["Content-Disposition"].endswith('"my-bookings.ics"')
    assert client.get(f"/ical/feed.ics?key={resource}")["Content-Disposition"].endswith('"gpu-7.ics"')
    # The old URL shapes do not take the new keys: a resource link is no key to anything else.
    assert client.get(f"/ical/mine/{resource}.ics").status_code == 404
    assert client.get(f"/ical/resources/{gpu.pk}/{mine}.ics").status_code == 404


def test_a_new_link_replaces_the_old_one_for_that_feed_only(client, member, gpu):
    _, first = services.calendar_feed_create(actor=member, user=member)
    _, resource = services.calendar_feed_create(actor=member, user=member, resource=gpu)
    _, second = services.calendar_feed_create(actor=member, user=member)
    assert client.get(f"/ical/feed.ics?key={first}").status_code == 404
    assert client.get(f"/ical/feed.ics?key={second}").status_code == 200
    assert client.get(f"/ical/feed.ics?key={resource}").status_code == 200
    assert CalendarFeed.objects.filter(user=member, revoked_at=None).count() == 2


def test_the_pages_make_a_link_show_it_once_and_revoke_it(client, member, gpu):
    client.force_login(member)
    made = client.post("/profile/calendar-links/new/", {"resource": gpu.pk})
    assert made.status_code == 200 and "will not be shown again" in made.content.decode()
    secret = key_from(made)
    profile = client.get("/profile/").content.decode()
    assert "gpu-7" in profile and secret[:10] in profile and secret not in profile
    feed = CalendarFeed.objects.get(user=member, revoked_at=None)
    assert client.post(f"/profile/calendar-links/{feed.pk}/revoke/").status_code == 302
    assert client.get(f"/ical/feed.ics?key={secret}").status_code == 404
    assert AuditEntry.objects.filter(action="calendar_feed.revoked", object_id=str(feed.pk)).exists()


def test_no_link_for_a_resource_one_cannot_see(client, member, site_b):
    hidden = ResourceFactory(site=site_b)
    client.force_login(member)
    assert client.post("/profile/calendar-links/new/", {"resource": hidden.pk}).status_code == 404
    assert not CalendarFeed.objects.exists()


def test_a_resource_link_stops_when_the_resource_is_no_longer_visible(client, member, gpu, site_b):
    _, secret = services.calendar_feed_create(actor=member, user=member, resource=gpu)
    Resource.objects.filter(pk=gpu.pk).update(site=site_b)
    assert client.get(f"/ical/feed.ics?key={secret}").status_code == 404


def test_links_of_a_deactivated_user_stop(client, member, admin_user):
    _, secret = services.calendar_feed_create(actor=member, user=member)
    services.user_set_active(actor=admin_user, user=member, is_active=False)
    assert client.get(f"/ical/feed.ics?key={secret}").status_code == 404


def test_reset_through_the_api_revokes_every_link(client, member, member_api, gpu):
    _, mine = services.calendar_feed_create(actor=member, user=member)
    _, resource = services.calendar_feed_create(actor=member, user=member, resource=gpu)
    response = member_api.post("/api/users/me/calendar-token/rotate/")
    assert response.status_code == 200
    new = KEY.search(response.json()["feed"]).group(1)
    assert client.get(f"/ical/feed.ics?key={mine}").status_code == 404
    assert client.get(f"/ical/feed.ics?key={resource}").status_code == 404
    assert client.get(f"/ical/feed.ics?key={new}").status_code == 200


def test_links_through_the_api(client, member_api, gpu, site_b):
    made = member_api.post("/api/users/me/calendar-links/", {"resource": gpu.pk}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["title"] == "gpu-7" and "/ical/feed.ics?key=cal_" in made.json()["feed"]
    listed = member_api.get("/api/users/me/calendar-links/").json()
    assert [link["resource"] for link in listed] == [gpu.pk] and "feed" not in listed[0]
    hidden = ResourceFactory(site=site_b)
    refused = member_api.post("/api/users/me/calendar-links/", {"resource": hidden.pk}, format="json")
    assert refused.status_code == 400 and "resource" in refused.json()["errors"]
    assert member_api.delete(f"/api/users/me/calendar-links/{listed[0]['id']}/").status_code == 204
    assert client.get(made.json()["feed"]).status_code == 404


def test_links_made_before_per_feed_links_keep_working_until_revoked(client, member, gpu):
    """What the migration leaves of an old plain-text token: its digest, as a legacy link."""
    old = "old-plain-token-0123456789"
    legacy = CalendarFeed.objects.create(
        user=member, legacy=True, prefix=old[:8], digest=hashlib.sha256(old.encode()).hexdigest()
    )
    assert client.get(f"/ical/mine/{old}.ics").status_code == 200
    assert client.get(f"/ical/resources/{gpu.pk}/{old}.ics").status_code == 200
    assert client.get(f"/ical/feed.ics?key={old}").status_code == 404
    services.calendar_feed_revoke(actor=member, feed=legacy)
    assert client.get(f"/ical/mine/{old}.ics").status_code == 404


def test_the_access_log_leaves_out_query_strings():
    with open("gunicorn.conf.py") as handle:
        namespace = {}
        exec(handle.read(), namespace)  # noqa: S102 - our own config file
    log_format = namespace["access_log_format"]
    assert "%(U)s" in log_format
    for with_query in ("%(r)s", "%(q)s", "%({raw_uri}e)s", "%(f)s"):
        assert with_query not in log_format
