import factory
from django.contrib.auth import get_user_model

from resources.models import Resource, ResourceType
from tenancy.models import Site


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Site {n}")
    slug = factory.Sequence(lambda n: f"site-{n}")
    time_zone = "Europe/Berlin"


class ResourceTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResourceType

    site = None
    name = factory.Sequence(lambda n: f"Type {n}")
    color = "#336699"


class ResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resource

    site = factory.SubFactory(SiteFactory)
    resource_type = factory.SubFactory(ResourceTypeFactory)
    name = factory.Sequence(lambda n: f"res-{n:03d}")
