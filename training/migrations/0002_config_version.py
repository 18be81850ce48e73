from django.db import migrations


class Migration(migrations.Migration):
    """Requirements and trainers change a site's configuration version (every site's: they name no
    site column, and change a few times a year), so booking writes read them from memory."""

    dependencies = [("training", "0001_initial"), ("resources", "0006_site_config_version")]

    operations = [
        migrations.RunSQL(
            f"CREATE TRIGGER {table}_config_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION reservoir_bump_config_version('all')",
            f"DROP TRIGGER IF EXISTS {table}_config_version ON {table}",
        )
        for table in ("training_requirement", "training_trainer")
    ]
