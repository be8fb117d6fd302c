"""The starting list of structured defect reasons; staff edit it in the admin."""

from django.db import migrations

REASONS = [
    ("no_image", "No image", "영상 없음", False),
    ("intermittent_image", "Intermittent image", "간헐적 영상 끊김", False),
    ("image_quality", "Poor image quality (blur, noise, colour)", "화질 불량 (흐림, 노이즈, 색상)", False),
    ("physical_damage", "Physical damage", "물리적 파손", True),
    ("connector_fault", "Connector fault", "커넥터 불량", False),
    ("firmware", "Firmware fault", "펌웨어 오류", False),
    ("mechanical_fault", "Mechanical fault (focus, zoom, pan/tilt)", "기계적 결함 (초점, 줌, 팬/틸트)", False),
    ("power", "Does not power on", "전원 불량", False),
    ("other", "Other", "기타", False),
]


def create(apps, schema_editor):
    DefectReason = apps.get_model("claims", "DefectReason")
    for position, (code, en, ko, photo) in enumerate(REASONS):
        DefectReason.objects.get_or_create(
            code=code,
            defaults={"name_en": en, "name_ko": ko, "photo_required": photo, "position": position},
        )


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
