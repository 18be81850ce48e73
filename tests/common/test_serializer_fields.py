"""Each serializer instance gets its own fields, copied from the class's prototypes: what one
instance sets on a field (its queryset, its binding, its validators) never reaches another."""

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from reservations.api.serializers import ReservationSerializer
from resources.api.serializers import ResourceSerializer

pytestmark = pytest.mark.django_db


def _request(user):
    request = APIRequestFactory().post("/api/resources/", {}, format="json")
    request.user = user
    return request


def test_a_scoped_queryset_set_on_one_instance_stays_there(member, outsider, site_a, site_b):
    mine = ResourceSerializer(data={"site": site_a.pk}, context={"request": _request(member)})
    theirs = ResourceSerializer(data={"site": site_b.pk}, context={"request": _request(outsider)})
    assert list(mine.fields["site"].queryset) == [site_a]
    assert list(theirs.fields["site"].queryset) == [site_b]
    assert ResourceSerializer._field_prototypes["site"] is not mine.fields["site"]


def test_validators_and_bindings_are_each_instances_own():
    first, second = ReservationSerializer(), ReservationSerializer()
    first.fields["title"].validators.append(lambda value: None)
    assert len(second.fields["title"].validators) == len(first.fields["title"].validators) - 1
    assert first.fields["title"].parent is first and second.fields["title"].parent is second


def test_fields_that_hold_fields_are_copied_whole():
    first, second = ResourceSerializer(), ResourceSerializer()
    children = first.fields["children"]
    assert isinstance(children, serializers.ListField)
    assert children.child is not second.fields["children"].child
    assert children.child.parent is children


def test_a_list_of_plain_values_gets_its_own_child_bound_to_it():
    first, second = ResourceSerializer(), ResourceSerializer()
    mine, theirs = first.fields["children"], second.fields["children"]
    assert mine is not theirs and mine.child is not theirs.child
    assert mine.child.parent is mine and theirs.child.parent is theirs
    assert mine.parent is first and theirs.parent is second
    mine.child.validators.append(lambda value: None)
    assert len(theirs.child.validators) == len(mine.child.validators) - 1
