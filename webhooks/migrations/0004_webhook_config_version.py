from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0003_delivery_ordering_key"), ("resources", "0006_site_config_version")]

    # Only the columns that decide which webhooks an event goes to: counting failures is no change.
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER webhook_config_version AFTER INSERT OR DELETE ON webhooks_webhook "
            "FOR EACH ROW EXECUTE FUNCTION reservoir_bump_config_version('site');"
            "CREATE TRIGGER webhook_config_version_update "
            "AFTER UPDATE OF site_id, enabled, event_types, scope, resource_type_id, resource_id ON webhooks_webhook "
            "FOR EACH ROW EXECUTE FUNCTION reservoir_bump_config_version('site')",
            "DROP TRIGGER IF EXISTS webhook_config_version ON webhooks_webhook;"
            "DROP TRIGGER IF EXISTS webhook_config_version_update ON webhooks_webhook",
        ),
    ]
