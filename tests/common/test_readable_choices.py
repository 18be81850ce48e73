"""No Django "---------" in any select a person meets; with one site, it is chosen for them."""

import pytest
from django.urls import reverse

from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db

PAGES = ["registry", "webhook-list", "lease-new", "reservation-new", "people"]


@pytest.mark.parametrize("url_name", PAGES)
def test_selects_ask_in_words_and_a_single_site_is_chosen(client, site_admin, site_a, url_name):
    ResourceFactory(site=site_a, name="dgx-01")
    client.force_login(site_admin)
    page = client.get(reverse(url_name)).content.decode()
    assert "---------" not in page
    if 'name="site"' in page:
        assert f'<option value="{site_a.pk}" selected>' in page
