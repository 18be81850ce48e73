"""Typed attribute filters (issue 16's first part): numbers compare as numbers, text exactly,
`in` lists; the same syntax in the API and the catalogue; what does not parse is a clear 400."""

import pytest
from django.core.exceptions import ValidationError

from resources import attribute_filter
from resources.models import Resource
from tests.factories import ResourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def servers(site_a):
    specs = {
        "a100-80": {"gpu_model": "A100", "gpu_memory_gb": 80, "interconnect": "nvlink"},
        "a100-40": {"gpu_model": "A100", "gpu_memory_gb": 40, "interconnect": "pcie"},
        "h100": {"gpu_model": "H100", "gpu_memory_gb": 94.5, "interconnect": "infiniband"},
        "text-memory": {"gpu_model": "A100", "gpu_memory_gb": "80"},  # text, not a number
        "flagged": {"gpu_memory_gb": True},
        "bare": {},
    }
    return {name: ResourceFactory(site=site_a, name=name, attributes=attrs) for name, attrs in specs.items()}


def names(expression):
    return sorted(attribute_filter.apply(Resource.objects.all(), expression).values_list("name", flat=True))


def test_numbers_compare_as_numbers_and_only_against_numbers(servers):
    assert names("gpu_memory_gb >= 80") == ["a100-80", "h100"]
    assert names("gpu_memory_gb < 80") == ["a100-40"]
    assert names("gpu_memory_gb > 90.1") == ["h100"]


def test_text_lists_and_combinations(servers):
    assert names("gpu_model = A100, gpu_memory_gb >= 80") == ["a100-80"]
    assert names("interconnect in (nvlink, infiniband)") == ["a100-80", "h100"]
    assert names("gpu_model = A100 and interconnect != pcie") == ["a100-80", "text-memory"]
    assert names("gpu_model = 'H100'") == ["h100"]


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("gpu_memory_gb >= lots", "compares numbers only"),
        ("gpu_model", "Cannot read 'gpu_model'"),
        ("interconnect in nvlink", "in parentheses"),
        ("gpu model = A100", "Cannot read"),
        (",".join(["a = 1"] * 21), "At most 20"),
    ],
)
def test_what_does_not_parse_says_why(expression, says):
    with pytest.raises(ValidationError) as refused:
        attribute_filter.parse(expression)
    assert says in " ".join(refused.value.messages)


def test_the_api_and_the_catalogue(member_api, client, member, servers):
    found = member_api.get("/api/resources/", {"where": "gpu_memory_gb >= 80, gpu_model = A100"})
    assert found.status_code == 200 and [r["name"] for r in found.json()["results"]] == ["a100-80"]
    bad = member_api.get("/api/resources/", {"where": "gpu_memory_gb >= lots"})
    assert bad.status_code == 400 and "compares numbers only" in str(bad.json()["errors"])
    client.force_login(member)
    page = client.get("/", {"where": "interconnect in (nvlink, infiniband)"}).text
    assert "a100-80" in page and "h100" in page and "a100-40" not in page
    refused = client.get("/", {"where": "gpu_model"})
    assert refused.status_code == 200 and 'id="where-error"' in refused.text
