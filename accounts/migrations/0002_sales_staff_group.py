"""The "Sales staff" group: what CPRO's sales clerks need daily, without superuser rights.

Later migrations extend it as the claim models arrive. Nobody gets delete rights on units,
shipments or issued records; the event log is never editable.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Sales staff"
PERMISSIONS = [
    ("accounts", "organisation", ["view", "add", "change"]),
    ("accounts", "user", ["view", "add", "change"]),
    ("accounts", "apikey", ["view", "add", "change"]),
    ("warranty", "productmodel", ["view", "add", "change"]),
    ("warranty", "component", ["view", "add", "change", "delete"]),
    ("warranty", "shipment", ["view", "add", "change"]),
    ("warranty", "unit", ["view", "add", "change"]),
    ("warranty", "warrantypolicy", ["view", "add"]),
]


def grant(apps, schema_editor):
    # Permissions are normally created after migrate; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, model, actions in PERMISSIONS:
        for action in actions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=f"{action}_{model}"
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("warranty", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
