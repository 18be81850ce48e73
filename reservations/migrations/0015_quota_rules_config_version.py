from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reservations", "0014_allocation_problem"), ("resources", "0006_site_config_version")]

    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER quota_rule_config_version AFTER INSERT OR UPDATE OR DELETE ON reservations_quotarule "
            "FOR EACH ROW EXECUTE FUNCTION reservoir_bump_config_version('site')",
            "DROP TRIGGER IF EXISTS quota_rule_config_version ON reservations_quotarule",
        ),
    ]
