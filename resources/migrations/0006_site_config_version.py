from django.db import migrations, models

# One trigger function for every table that holds a site's booking configuration. Called with
# 'site': the changed row's site_id (before and after) is raised; with 'all': every site is (for
# configuration that may belong to no site, such as a global resource type's booking templates).
BUMP = """
CREATE OR REPLACE FUNCTION reservoir_bump_config_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_ARGV[0] = 'all' THEN
        UPDATE resources_site SET config_version = config_version + 1;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE resources_site SET config_version = config_version + 1 WHERE id = OLD.site_id;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.site_id IS DISTINCT FROM OLD.site_id) THEN
        UPDATE resources_site SET config_version = config_version + 1 WHERE id = NEW.site_id;
    END IF;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("resources", "0005_checkin")]

    operations = [
        migrations.AddField(
            model_name="site",
            name="config_version",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunSQL(BUMP, "DROP FUNCTION IF EXISTS reservoir_bump_config_version() CASCADE"),
    ]
