import pytest
from playwright.sync_api import expect

from tenancy.models import Membership, Role
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory, UserFactory
from webhooks.models import Webhook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(transactional_db):
    site = SiteFactory(name="Berlin Lab", slug="berlin", time_zone="Europe/Berlin")
    server = ResourceTypeFactory(name="GPU server", color="#e15759")
    gpu = ResourceTypeFactory(name="GPU", color="#f28e2b")
    dgx = ResourceFactory(site=site, resource_type=server, name="dgx-01")
    ResourceFactory(site=site, resource_type=gpu, name="dgx-01-gpu0", parent=dgx)
    ResourceFactory(site=site, resource_type=server, name="old-box", status="unavailable")
    member = UserFactory(username="member", password="correct-horse-battery")
    Membership.objects.create(site=site, user=member, role=Role.MEMBER)
    UserFactory(username="root", password="correct-horse-battery", is_staff=True, is_superuser=True)


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()


def test_member_logs_in_and_browses_the_catalogue_tree(page, live_server, demo):
    log_in(page, live_server, "member")
    expect(page.get_by_role("heading", name="Berlin Lab")).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("dgx-01")
    expect(rows.nth(1)).to_contain_text("└ dgx-01-gpu0")
    expect(page.locator("tr[data-resource='old-box']")).to_contain_text("Unavailable")
    expect(page.get_by_role("link", name="Admin console")).to_have_count(0)
    expect(page.locator(".site-header summary", has_text="Operations")).to_have_count(0)


def test_operator_puts_a_server_into_maintenance_from_the_admin(page, live_server, demo):
    log_in(page, live_server, "root")
    page.goto(f"{live_server.url}/admin/resources/resource/")
    page.get_by_role("row", name="dgx-01 Berlin Lab").get_by_role("checkbox").check()
    page.select_option("select[name=action]", "mark_maintenance")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("1 resource marked in maintenance.")).to_be_visible()
    page.goto(f"{live_server.url}/")
    expect(page.locator("tr[data-resource='dgx-01']")).to_contain_text("In maintenance")


def test_operator_sees_the_live_dashboard(page, live_server, demo):
    log_in(page, live_server, "root")
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", name="Operations")).to_be_visible()
    expect(page.locator("[data-process='worker']")).to_contain_text("worker")
    expect(page.get_by_text("deliveries pending")).to_be_visible()
    # Figures change while the page is open: the next refresh (every 10 s) shows them, names as text.
    site = SiteFactory(name="Lyon <i>Lab</i>", slug="lyon")
    ResourceFactory(site=site, name="new-box", status="maintenance")
    Webhook.objects.create(site=site, name="<b>ops</b>", url="https://hooks.example.org/x", secret="whsec_x")
    expect(page.locator("#resources")).to_contain_text("Lyon <i>Lab</i>", timeout=15_000)
    expect(page.locator("#webhooks")).to_contain_text("<b>ops</b>")
    expect(page.locator("#webhooks b")).to_have_count(0)
