"""The "Sales staff" group (accounts 0002) sets up partners' webhook endpoints, re-enables them,
and reads the delivery log; nobody edits or deletes deliveries."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Sales staff"
PERMISSIONS = [
    ("webhookendpoint", ["view", "add", "change"]),
    ("webhookdelivery", ["view"]),
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("partner_api")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is None:
        return
    for model, actions in PERMISSIONS:
        for action in actions:
            group.permissions.add(
                Permission.objects.get(
                    content_type__app_label="partner_api", codename=f"{action}_{model}"
                )
            )


class Migration(migrations.Migration):
    dependencies = [
        ("partner_api", "0001_initial"),
        ("accounts", "0002_sales_staff_group"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
