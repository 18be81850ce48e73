from django.db import migrations

TABLES = ("registry_bookingtemplate", "registry_allocationtemplate")


class Migration(migrations.Migration):
    dependencies = [("registry", "0003_booking_templates"), ("resources", "0006_site_config_version")]

    # A type's templates may serve every site: any change raises every site's version (rare, admin-made).
    operations = [
        migrations.RunSQL(
            ";".join(
                f"CREATE TRIGGER {table}_config_version AFTER INSERT OR UPDATE OR DELETE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION reservoir_bump_config_version('all')"
                for table in TABLES
            ),
            ";".join(f"DROP TRIGGER IF EXISTS {table}_config_version ON {table}" for table in TABLES),
        ),
    ]
