from django.core.management.base import BaseCommand, CommandError

from warranty.importing import ImportRejected, import_shipments


class Command(BaseCommand):
    help = (
        "Import shipments and their units from CSV (columns pi_number,po_number,buyer,"
        "shipment_date,delivery_date,serial_number,model_code,unit_price,currency). "
        "All or nothing: any bad row prints row-numbered errors, imports nothing and exits 1. "
        "Re-importing the same file changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file, UTF-8, header on the first line")
        parser.add_argument(
            "--create-buyers",
            action="store_true",
            help="Create organisations for unknown buyer codes (named after the code).",
        )

    def handle(self, *args, file, create_buyers, **options):
        progress = self.show_progress if self.stdout.isatty() else None
        try:
            result = import_shipments(source=file, create_buyers=create_buyers, progress=progress)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except ImportRejected as exc:
            self.end_progress(progress)
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(exc.message) from exc
        self.end_progress(progress)
        self.stdout.write(self.style.SUCCESS(result.summary()))

    def show_progress(self, done: int, total: int) -> None:
        self.stdout.write(f"\rChecked {done:,} of {total:,} rows", ending="")
        if done == total:
            self.stdout.write(" — writing…", ending="")
        self.stdout.flush()

    def end_progress(self, progress) -> None:
        if progress is not None:
            self.stdout.write("")
