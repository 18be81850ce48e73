"""The client address cannot be forged through X-Forwarded-For; shared tokens compare in constant
time; passwords are at least 12 characters."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from common.request_context import client_ip

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.9"),  # no proxy trusted: the header is the client's own words
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the proxy appended the real address last
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, "198.51.100.7", "10.0.0.9"),  # shorter than the proxies: not to be trusted
    ],
)
def test_the_client_address_comes_from_the_trusted_end_of_the_chain(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.9")
    assert client_ip(request) == expected


def test_the_metrics_token_is_checked(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-tokeN").status_code in (401, 403)


def test_passwords_need_twelve_characters():
    with pytest.raises(ValidationError, match="at least 12"):
        validate_password("Elevenchars")
    validate_password("Twelve-chars")


@pytest.mark.parametrize("leaked", ["q1w2e3r4t5y6", "password1234", "iloveyou2024!", "Reservoir2026!"])
def test_breached_and_guessable_passwords_are_refused_offline(leaked):
    with pytest.raises(ValidationError):
        validate_password(leaked)
    validate_password("tulip mortar violet 1987 canyon")


def test_a_login_lasts_twelve_hours_and_messages_stay_on_the_server(client, member, settings):
    client.force_login(member)
    assert client.session.get_expiry_age() == 12 * 3600
    assert settings.MESSAGE_STORAGE.endswith("SessionStorage")  # a new secret is never in a cookie
