"""The shared cache's table (DASHBOARD_CACHE_URL=database, the default), made by `migrate` like
every other table, so any way of starting the dashboard finds it. `createcachetable` makes it
too (for a cache switched to the database later); both leave an existing table alone."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
