import re

import pytest
from playwright.sync_api import expect

from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory
from tests.oidc_provider import keycloak_claims

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_single_sign_on_round_trip(page, live_server, oidc):
    berlin = SiteFactory(name="Berlin Lab", slug="berlin")
    boston = SiteFactory(name="Boston DC", slug="boston")
    kind = ResourceTypeFactory(name="GPU server")
    ResourceFactory(site=berlin, resource_type=kind, name="dgx-01")
    ResourceFactory(site=boston, resource_type=kind, name="hgx-02")
    oidc.set_user("kc-lena", **keycloak_claims("lena", groups=["/sites/berlin/admins"]))

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Log in with single sign-on (Keycloak)").click()
    expect(page).to_have_url(re.compile("^" + re.escape(oidc.issuer) + "/oauth2/authorize"))
    page.locator("input[name=sub]").fill("kc-lena")
    page.get_by_role("button", name="Authorize").click()

    account = page.locator(".site-header summary", has_text="Lena Tester")
    expect(account).to_be_visible()
    expect(page.locator("tr[data-resource='dgx-01']")).to_be_visible()
    expect(page.locator("tr[data-resource='hgx-02']")).to_have_count(0)
    page.locator(".site-header summary", has_text="Operations").click()
    expect(page.get_by_role("link", name="Admin console")).to_be_visible()  # site administrator of Berlin

    account.click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="End session").click()  # the provider's own logout page
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    expect(page.get_by_role("link", name="Log in with single sign-on (Keycloak)")).to_be_visible()
