"""The "Sales staff" group (0002) sees the sign-in audit of django-axes in the admin.

Read-only: who failed to sign in, from where and when, and who is paused. Releasing a pause
(deleting an attempt) stays with superusers.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Sales staff"
MODELS = ["accessattempt", "accessfailurelog", "accesslog"]


def _permissions(apps):
    app_config = apps.get_app_config("axes")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return list(
        Permission.objects.filter(
            content_type__app_label="axes", codename__in=[f"view_{model}" for model in MODELS]
        )
    )


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
        ("accounts", "0003_verbose_names_en_ko"),
        ("axes", "0010_accessattemptexpiration"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
