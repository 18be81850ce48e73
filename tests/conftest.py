import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tests.factories import UserFactory

CATALOGUE_PERMISSIONS = [
    f"{action}_{model}"
    for action in ("add", "change", "delete", "view")
    for model in ("site", "resourcetype", "resource")
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def staff_user(db):
    user = UserFactory(username="operator", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=CATALOGUE_PERMISSIONS))
    return user


@pytest.fixture
def plain_user(db):
    return UserFactory(username="member")


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def anon_api():
    return _client()


@pytest.fixture
def admin_api(admin_user):
    return _client(admin_user)


@pytest.fixture
def staff_api(staff_user):
    return _client(staff_user)


@pytest.fixture
def user_api(plain_user):
    return _client(plain_user)


@pytest.fixture
def api_for():
    return _client
