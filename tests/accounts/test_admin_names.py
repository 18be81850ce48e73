"""The operators' console names its sections for what they hold."""

import pytest

pytestmark = pytest.mark.django_db


def test_the_login_limits_section_is_named_for_what_it_holds(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/").content.decode()
    assert "Login attempts and lockouts" in page and ">Axes<" not in page
