"""The first policy version: CPRO's Limited Warranty as SPEC encodes it (W1-W5, N1)."""

import datetime

from django.db import migrations


def create_first_policy(apps, schema_editor):
    WarrantyPolicy = apps.get_model("warranty", "WarrantyPolicy")
    WarrantyPolicy.objects.get_or_create(
        version="CPRO-LW-1",
        defaults={
            # In force for every delivery on record; later versions start later.
            "effective_from": datetime.date(2000, 1, 1),
            "standard_months": 24,  # W1
            "camera_module_months": 12,  # W3
            "mechanical_wear_months": 12,  # W4
            "notice_days": 8,  # N1
            "notes": "CPRO Limited Warranty as published (shared/seed/cpro-limited-warranty.txt).",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("warranty", "0001_initial")]

    operations = [migrations.RunPython(create_first_policy, migrations.RunPython.noop)]
