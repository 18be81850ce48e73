import pytest

from common.exceptions import Conflict
from resources import services
from resources.models import Resource, ResourceStatus, ResourceType
from tests.concurrency import race
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory


@pytest.mark.django_db
class TestDeletion:
    def test_deleting_a_type_in_use_is_refused_with_the_users_named(self):
        resource_type = ResourceTypeFactory(name="GPU")
        ResourceFactory(resource_type=resource_type, name="gpu0")
        ResourceFactory(resource_type=resource_type, name="gpu1")
        with pytest.raises(Conflict) as exc:
            services.resource_type_delete(actor=None, resource_type=resource_type)
        assert exc.value.message == (
            "Resource type 'GPU (all sites)' is in use by 2 resources: gpu0, gpu1. Reassign or delete them first."
        )
        assert exc.value.code == "in_use"
        assert ResourceType.objects.filter(pk=resource_type.pk).exists()

    def test_an_unused_type_is_deleted(self):
        resource_type = ResourceTypeFactory()
        services.resource_type_delete(actor=None, resource_type=resource_type)
        assert not ResourceType.objects.filter(pk=resource_type.pk).exists()

    def test_a_resource_with_sub_resources_is_not_deleted(self):
        server = ResourceFactory(name="dgx-01")
        ResourceFactory(name="gpu0", parent=server, site=server.site, resource_type=server.resource_type)
        with pytest.raises(Conflict, match="in use by 1 resource: gpu0"):
            services.resource_delete(actor=None, resource=server)


@pytest.mark.django_db
class TestUpdates:
    def test_only_declared_fields_change(self):
        resource = ResourceFactory()
        with pytest.raises(Exception, match="cannot be changed"):
            services.resource_update(actor=None, resource=resource, id=999)

    def test_bulk_status_counts_real_changes(self):
        site = SiteFactory()
        kind = ResourceTypeFactory()
        a = ResourceFactory(site=site, resource_type=kind, status=ResourceStatus.MAINTENANCE)
        b = ResourceFactory(site=site, resource_type=kind)
        changed = services.resource_bulk_status_set(
            actor=None, resources=Resource.objects.filter(pk__in=[a.pk, b.pk]), status=ResourceStatus.MAINTENANCE
        )
        assert changed == 1
        assert set(Resource.objects.values_list("status", flat=True)) == {"maintenance"}


@pytest.mark.django_db(transaction=True)
class TestRaces:
    def test_two_concurrent_creations_of_one_name_leave_one_resource_and_one_conflict(self):
        site = SiteFactory()
        kind = ResourceTypeFactory()

        def create():
            return services.resource_create(actor=None, site=site, resource_type=kind, name="dgx-01")

        for _ in range(5):
            Resource.objects.filter(name="dgx-01").delete()
            outcomes = race([create, create, create])
            created = [o for o in outcomes if isinstance(o, Resource)]
            refused = [o for o in outcomes if not isinstance(o, Resource)]
            assert len(created) == 1
            assert Resource.objects.filter(site=site, name="dgx-01").count() == 1
            for outcome in refused:
                # Either the loser saw the winner in full_clean (400) or lost at the constraint (409).
                assert "already exists at this site" in str(outcome)

    def test_concurrent_re_parenting_never_closes_a_cycle(self):
        site = SiteFactory()
        kind = ResourceTypeFactory()
        for _ in range(5):
            Resource.objects.filter(parent__isnull=False).delete()
            Resource.objects.all().delete()
            a = ResourceFactory(site=site, resource_type=kind, name="a")
            b = ResourceFactory(site=site, resource_type=kind, name="b")

            def a_under_b(a_id=a.pk, b_id=b.pk):
                a = Resource.objects.get(pk=a_id)
                return services.resource_update(actor=None, resource=a, parent=Resource.objects.get(pk=b_id))

            def b_under_a(a_id=a.pk, b_id=b.pk):
                b = Resource.objects.get(pk=b_id)
                return services.resource_update(actor=None, resource=b, parent=Resource.objects.get(pk=a_id))

            outcomes = race([a_under_b, b_under_a])
            assert sum(isinstance(o, Resource) for o in outcomes) == 1
            assert any("would create a cycle" in str(o) for o in outcomes)
            parents = dict(Resource.objects.values_list("name", "parent__name"))
            assert list(parents.values()).count(None) == 1, parents
