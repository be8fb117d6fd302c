"""D2: seed a fee schedule for USD, EUR and KRW, in force with the first policy version, and let
the "Sales staff" group see, add and change fee schedules (never delete: a new row supersedes
an old one from its date, so what was in force stays on record).

The amounts were the settings' 50/30/30 for every currency, which made a KRW charge 110 won;
KRW amounts are whole won at a realistic level.
"""

import datetime
from decimal import Decimal

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Sales staff"
SCHEDULES = {
    "USD": ("50.00", "30.00", "30.00"),
    "EUR": ("45.00", "28.00", "28.00"),
    "KRW": ("65000", "40000", "40000"),
}
FROM = datetime.date(2000, 1, 1)  # with CPRO-LW-1 (warranty 0002)


def seed(apps, schema_editor):
    FeeSchedule = apps.get_model("claims", "FeeSchedule")
    WarrantyPolicy = apps.get_model("warranty", "WarrantyPolicy")
    policy = WarrantyPolicy.objects.filter(version="CPRO-LW-1").first()
    for currency, (verification, transport, shipment) in SCHEDULES.items():
        FeeSchedule.objects.get_or_create(
            currency=currency,
            effective_from=FROM,
            defaults={
                "policy": policy,
                "verification": Decimal(verification),
                "transport": Decimal(transport),
                "shipment": Decimal(shipment),
            },
        )
    app_config = apps.get_app_config("claims")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="claims",
            codename__in=["view_feeschedule", "add_feeschedule", "change_feeschedule"],
        )
    )


def unseed(apps, schema_editor):
    apps.get_model("claims", "FeeSchedule").objects.filter(effective_from=FROM).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0008_d2_fee_schedule"),
        ("warranty", "0002_first_policy"),
        ("accounts", "0002_sales_staff_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
