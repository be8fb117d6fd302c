"""The "Sales staff" group (accounts 0002) reads the warranty quality analytics and tunes the
early-warning threshold; nobody adds or deletes the one settings row."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Sales staff"
CODENAMES = [
    "view_quality_analytics",
    "view_earlywarningsettings",
    "change_earlywarningsettings",
]


def _permissions(apps):
    app_config = apps.get_app_config("analytics")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label="analytics", codename=codename)
        for codename in CODENAMES
    ]


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_early_warning_settings"),
        ("accounts", "0002_sales_staff_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
