from django.core.management.base import BaseCommand

from claims.events import verify_all


class Command(BaseCommand):
    help = "Check every claim's hash-chained event log; report the first broken link."

    def handle(self, *args, **options):
        broken = next(verify_all(), None)
        if broken is not None:
            self.stderr.write(f"Event log broken: {broken}")
            raise SystemExit(1)
        self.stdout.write("Event log intact.")
