"""Values are shown by their labels: parameters by the type's label ("MIG slices: no"), a series'
rule in words ("Weekly on Mon and Wed, 4 times"), never the stored form."""

import pytest

from reservations import services
from reservations.recurrence import describe
from resources.parameters import describe_parameters
from tests.factories import ResourceFactory, ResourceTypeFactory

from .conftest import at

pytestmark = pytest.mark.django_db

SCHEMA = [
    {"key": "mig", "label": "MIG slices", "type": "boolean"},
    {"key": "sample_type", "label": "Sample type", "type": "choice", "choices": ["cryo", "room"]},
]


@pytest.mark.parametrize(
    ("rule", "said"),
    [
        ("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4", "Weekly on Mon and Wed, 4 times"),
        ("RRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20270131T000000Z", "Every 2 days, until 2027-01-31"),
        ("FREQ=MONTHLY;COUNT=1", "Monthly, once"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH,FR;COUNT=6", "Every 2 weeks on Tue, Thu and Fri, 6 times"),
    ],
)
def test_a_rule_in_words(rule, said):
    assert describe(rule) == said


def test_parameters_by_their_labels():
    assert describe_parameters(SCHEMA, {"mig": False, "sample_type": "cryo"}) == [
        ("MIG slices", "no"),
        ("Sample type", "cryo"),
    ]


def test_the_booking_page_shows_labels_not_stored_values(client, member, site_a):
    kind = ResourceTypeFactory(site=site_a, name="Imaged", parameter_schema=SCHEMA)
    resource = ResourceFactory(site=site_a, resource_type=kind, name="box-1")
    result = services.series_create(
        actor=member,
        resource=resource,
        start=at(2, 10),
        end=at(2, 11),
        rrule="FREQ=WEEKLY;COUNT=4",
        parameters={"mig": False, "sample_type": "cryo"},
    )
    client.force_login(member)
    page = client.get(f"/reservations/{result.created[0].pk}/").text
    assert "FREQ=" not in page and "mig: False" not in page and "sample_type: cryo" not in page
    assert "MIG slices" in page and "Sample type" in page and "Weekly" in page and "4 times" in page
