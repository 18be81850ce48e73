import pytest
import yaml
from django.core.management import call_command


@pytest.mark.django_db
def test_openapi_schema_generates_and_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert {"/api/sites/", "/api/resource-types/", "/api/resources/{id}/"} <= set(schema["paths"])
    resource = schema["components"]["schemas"]["Resource"]["properties"]
    assert resource["children"]["readOnly"] is True
    assert resource["status"]["$ref"].endswith("ResourceStatusEnum")


@pytest.mark.django_db
def test_swagger_ui_and_browsable_api_render(admin_client):
    assert b"swagger-ui" in admin_client.get("/api/docs/").content
    page = admin_client.get("/api/resources/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    assert b"Resource List" in page.content
