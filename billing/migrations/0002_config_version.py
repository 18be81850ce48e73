from django.db import migrations


class Migration(migrations.Migration):
    """A site's billing settings change its configuration version, so booking writes read them from memory."""

    dependencies = [("billing", "0001_initial"), ("resources", "0006_site_config_version")]

    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER billing_sitebilling_config_version AFTER INSERT OR UPDATE OR DELETE ON billing_sitebilling "
            "FOR EACH ROW EXECUTE FUNCTION reservoir_bump_config_version('site')",
            "DROP TRIGGER IF EXISTS billing_sitebilling_config_version ON billing_sitebilling",
        ),
    ]
