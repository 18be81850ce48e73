import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from resources.models import Resource, ResourceType
from resources.parameters import clean_parameters, validate_parameter_schema
from tests.factories import ResourceFactory, ResourceTypeFactory, SiteFactory

pytestmark = pytest.mark.django_db


def messages(exc: ValidationError, field: str) -> str:
    return " ".join(exc.message_dict[field])


class TestSite:
    def test_time_zone_must_be_iana(self):
        site = SiteFactory.build(time_zone="Mars/Olympus")
        with pytest.raises(ValidationError) as exc:
            site.full_clean()
        assert "is not an IANA time zone" in messages(exc.value, "time_zone")

    def test_name_is_unique(self):
        SiteFactory(name="Berlin")
        with pytest.raises(ValidationError) as exc:
            SiteFactory.build(name="Berlin").full_clean()
        assert "already exists" in messages(exc.value, "name")


class TestResourceType:
    @pytest.mark.parametrize("color", ["red", "#12345", "#1234567", "#gggggg", "123456"])
    def test_color_must_be_hex(self, color):
        with pytest.raises(ValidationError) as exc:
            ResourceTypeFactory.build(color=color).full_clean()
        assert "#rrggbb" in messages(exc.value, "color")

    def test_color_is_stored_lowercase(self):
        resource_type = ResourceTypeFactory.build(color="#ABCDEF")
        resource_type.full_clean()
        assert resource_type.color == "#abcdef"

    def test_database_refuses_a_bad_color_even_without_full_clean(self):
        with pytest.raises(IntegrityError):
            ResourceType.objects.create(name="raw", color="blue")

    def test_name_unique_per_site_but_reusable_across_sites(self):
        berlin, boston = SiteFactory(), SiteFactory()
        ResourceTypeFactory(site=berlin, name="GPU")
        ResourceTypeFactory.build(site=boston, name="GPU").full_clean()
        with pytest.raises(ValidationError) as exc:
            ResourceTypeFactory.build(site=berlin, name="GPU").full_clean()
        assert "already exists at this site" in str(exc.value)

    def test_global_type_names_are_unique_too(self):
        ResourceTypeFactory(site=None, name="GPU")
        with pytest.raises(ValidationError, match="already exists"):
            ResourceTypeFactory.build(site=None, name="GPU").full_clean()
        with pytest.raises(IntegrityError):
            ResourceType.objects.create(site=None, name="GPU", color="#000000")

    def test_cannot_move_to_a_site_while_other_sites_use_it(self):
        berlin, boston = SiteFactory(), SiteFactory()
        resource_type = ResourceTypeFactory(site=None)
        ResourceFactory(site=boston, resource_type=resource_type, name="cn-01")
        resource_type.site = berlin
        with pytest.raises(ValidationError) as exc:
            resource_type.full_clean()
        assert "cn-01" in messages(exc.value, "site")


class TestParameterSchema:
    def test_a_full_schema_is_accepted(self):
        validate_parameter_schema(
            [
                {"key": "os_image", "label": "OS", "type": "choice", "required": True, "choices": ["a", "b"]},
                {"key": "gpus", "label": "GPUs", "type": "number"},
                {"key": "mig", "label": "MIG", "type": "boolean", "required": False},
                {"key": "note", "label": "Note", "type": "text"},
            ]
        )

    @pytest.mark.parametrize(
        ("schema", "message"),
        [
            ({"key": "x"}, "must be a list"),
            (["x"], "must be an object"),
            ([{"key": "Bad Key", "label": "L", "type": "text"}], "key must start with a lowercase letter"),
            ([{"key": "k", "label": "", "type": "text"}], "label is required"),
            ([{"key": "k", "label": "L", "type": "date"}], "type must be one of text, number, boolean, choice"),
            ([{"key": "k", "label": "L", "type": "text", "required": "yes"}], "required must be true or false"),
            ([{"key": "k", "label": "L", "type": "choice"}], "needs a non-empty list of choices"),
            ([{"key": "k", "label": "L", "type": "choice", "choices": ["a", "a"]}], "choices must be distinct"),
            ([{"key": "k", "label": "L", "type": "text", "choices": ["a"]}], "only allowed for type 'choice'"),
            ([{"key": "k", "label": "L", "type": "text", "colour": 1}], "unknown field(s) colour"),
            ([{"key": "k", "label": "A", "type": "text"}, {"key": "k", "label": "B", "type": "text"}], "Duplicate"),
        ],
    )
    def test_invalid_schemas_are_explained(self, schema, message):
        with pytest.raises(ValidationError) as exc:
            validate_parameter_schema(schema)
        assert message in " ".join(exc.value.messages)

    def test_model_validates_its_schema(self):
        resource_type = ResourceTypeFactory.build(parameter_schema=[{"key": "k", "label": "L", "type": "date"}])
        with pytest.raises(ValidationError) as exc:
            resource_type.full_clean()
        assert "Parameter 1 (k): type must be one of" in messages(exc.value, "parameter_schema")


class TestParameterValues:
    SCHEMA = [
        {"key": "os_image", "label": "OS", "type": "choice", "required": True, "choices": ["ubuntu", "rocky"]},
        {"key": "gpus", "label": "GPUs", "type": "number"},
        {"key": "mig", "label": "MIG", "type": "boolean"},
    ]

    def test_valid_values_pass(self):
        assert clean_parameters(self.SCHEMA, {"os_image": "rocky", "gpus": 2, "mig": False}) == {
            "os_image": "rocky",
            "gpus": 2,
            "mig": False,
        }

    def test_each_wrong_value_gets_its_own_message(self):
        with pytest.raises(ValidationError) as exc:
            clean_parameters(self.SCHEMA, {"gpus": "two", "mig": "yes", "colour": "red"})
        assert exc.value.message_dict == {
            "os_image": ["This parameter is required."],
            "gpus": ["Must be a number."],
            "mig": ["Must be true or false."],
            "colour": ["Unknown parameter; expected one of: os_image, gpus, mig."],
        }

    def test_choice_must_be_listed(self):
        with pytest.raises(ValidationError, match="Must be one of: ubuntu, rocky"):
            clean_parameters(self.SCHEMA, {"os_image": "windows"})


class TestResourceTree:
    def test_name_unique_per_site(self):
        resource = ResourceFactory(name="dgx-01")
        with pytest.raises(ValidationError, match="already exists at this site"):
            ResourceFactory.build(site=resource.site, resource_type=resource.resource_type, name="dgx-01").full_clean()
        ResourceFactory.build(site=SiteFactory(), resource_type=resource.resource_type, name="dgx-01").full_clean()

    def test_type_of_another_site_is_refused(self):
        berlin, boston = SiteFactory(), SiteFactory()
        boston_type = ResourceTypeFactory(site=boston, name="Compute node")
        with pytest.raises(ValidationError) as exc:
            ResourceFactory.build(site=berlin, resource_type=boston_type).full_clean()
        assert "belongs to another site" in messages(exc.value, "resource_type")

    def test_parent_must_be_at_the_same_site(self):
        server = ResourceFactory(name="dgx-01")
        gpu = ResourceFactory.build(parent=server, site=SiteFactory(), resource_type=server.resource_type)
        with pytest.raises(ValidationError) as exc:
            gpu.full_clean()
        assert "'dgx-01' is at another site" in messages(exc.value, "parent")

    def test_cycles_are_refused_at_any_depth(self):
        rack = ResourceFactory(name="rack")
        server = ResourceFactory(name="server", parent=rack, site=rack.site, resource_type=rack.resource_type)
        gpu = ResourceFactory(name="gpu", parent=server, site=rack.site, resource_type=rack.resource_type)
        rack.parent = gpu
        with pytest.raises(ValidationError) as exc:
            rack.full_clean()
        assert "would create a cycle" in messages(exc.value, "parent")

    def test_own_parent_is_refused_by_the_database_too(self):
        resource = ResourceFactory()
        with pytest.raises(IntegrityError):
            Resource.objects.filter(pk=resource.pk).update(parent=resource.pk)

    def test_site_cannot_change_while_it_has_children(self):
        server = ResourceFactory()
        ResourceFactory(parent=server, site=server.site, resource_type=server.resource_type)
        server.site = SiteFactory()
        with pytest.raises(ValidationError) as exc:
            server.full_clean()
        assert "has sub-resources" in messages(exc.value, "site")

    def test_attributes_must_be_an_object(self):
        with pytest.raises(ValidationError) as exc:
            ResourceFactory.build(attributes=[1, 2]).full_clean(exclude=["site", "resource_type"])
        assert "JSON object" in messages(exc.value, "attributes")
