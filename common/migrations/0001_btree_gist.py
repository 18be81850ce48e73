from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Exclusion constraints on (resource, time range) need btree_gist."""

    initial = True
    dependencies = []
    operations = [BtreeGistExtension()]
