"""The two roles, as groups: viewers read, editors also write."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {"viewers": ["view_redis"], "editors": ["view_redis", "edit_redis"]}


def make_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("keyspace")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        # add, not set: a host project may already have a group of that name, whose other
        # permissions must stay.
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="keyspace", codename__in=codenames)
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("keyspace", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(make_roles, remove_roles)]
