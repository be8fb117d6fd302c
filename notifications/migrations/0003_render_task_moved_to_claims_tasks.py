"""The document rendering task moved from claims.documents to claims.tasks (one tasks module per
app): outbox rows not yet published name it by its new name."""

from django.db import migrations

OLD = "claims.documents.render_document"
NEW = "claims.tasks.render_document"


def rename(apps, schema_editor, old=OLD, new=NEW):
    OutboxMessage = apps.get_model("notifications", "OutboxMessage")
    OutboxMessage.objects.filter(task_name=old).update(task_name=new)


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_verbose_names_en_ko")]

    operations = [migrations.RunPython(rename, rename_back)]
