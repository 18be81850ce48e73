from django.db import migrations


class Migration(migrations.Migration):
    """Which projects may book at a site changes the site's configuration version, so that a booking
    write at a site no project may book at skips the search for the owner's default project."""

    dependencies = [("billing", "0002_config_version")]

    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER billing_project_sites_config_version AFTER INSERT OR UPDATE OR DELETE "
            "ON billing_project_sites FOR EACH ROW EXECUTE FUNCTION reservoir_bump_config_version('site')",
            "DROP TRIGGER IF EXISTS billing_project_sites_config_version ON billing_project_sites",
        ),
    ]
