import pytest

from registry import services
from registry.models import Allocation
from tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def spec(service):
    return {"resource_name": "api", "owner_service": service, "environment": "production"}


def test_twenty_clients_one_value_one_winner(member, site_a):
    calls = [
        (
            lambda i=i: services.allocate(
                actor=member,
                site=site_a,
                resource_type="port",
                resource_value=f"{'0' * (i % 3)}8443",
                **spec(f"svc{i}"),
            )
        )
        for i in range(20)
    ]
    outcomes = race(calls)
    winners = [o for o in outcomes if isinstance(o, Allocation)]
    assert len(winners) == 1, outcomes
    assert all(getattr(o, "code", None) == "taken" for o in outcomes if not isinstance(o, Allocation))
    assert Allocation.objects.filter(resource_value="8443").count() == 1


def test_twenty_clients_next_free_port_all_different(member, site_a):
    calls = [
        (
            lambda i=i: services.allocate_next_port(
                actor=member,
                site=site_a,
                start=10000,
                end=10100,
                **{k: v for k, v in spec(f"svc{i}").items() if k != "environment"},
            )
        )
        for i in range(20)
    ]
    outcomes = race(calls)
    ports = sorted(int(o.resource_value) for o in outcomes if isinstance(o, Allocation))
    assert ports == list(range(10000, 10020)), outcomes


def test_next_free_port_searches_racing_claims_of_given_ports_never_share_one(member, site_a):
    """A claim of one given port does not wait for the port lock (issue 39): a search whose port
    was taken meanwhile goes on to the next one, and a given port found taken is a 409."""
    fields = {k: v for k, v in spec("x").items() if k not in ("environment", "owner_service")}
    searches = [
        lambda i=i: services.allocate_next_port(
            actor=member, site=site_a, start=10000, end=10100, owner_service=f"next{i}", **fields
        )
        for i in range(10)
    ]
    given = [
        lambda i=i: services.allocate(
            actor=member, site=site_a, resource_type="port", resource_value=str(10000 + i), **spec(f"given{i}")
        )
        for i in range(10)
    ]
    outcomes = race([call for pair in zip(searches, given, strict=True) for call in pair])
    found = outcomes[0::2]
    assert all(isinstance(o, Allocation) for o in found), found  # every search found a port
    claimed = outcomes[1::2]
    assert all(isinstance(o, Allocation) or getattr(o, "code", None) == "taken" for o in claimed), claimed
    ports = [int(o.resource_value) for o in outcomes if isinstance(o, Allocation)]
    assert len(ports) == len(set(ports))
    assert Allocation.objects.filter(resource_type="port").count() == len(ports)
