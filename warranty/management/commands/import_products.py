from django.core.management.base import BaseCommand, CommandError

from warranty.importing import ImportRejected, import_products


class Command(BaseCommand):
    help = (
        "Import product models from CSV (columns model_code,name,is_camera_module,"
        "mechanical_wear,components). Re-importing updates by model_code; components "
        "(kind:name;kind:name) are made to match the file. All or nothing: any bad row prints "
        "row-numbered errors, imports nothing and exits 1."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, header on the first line")

    def handle(self, *args, file, **options):
        try:
            result = import_products(source=file)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
