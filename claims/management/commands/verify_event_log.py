from django.core.management.base import BaseCommand

from claims.events import verify_all


class Command(BaseCommand):
    help = (
        "Check every claim's keyed, hash-chained event log against its head and latest "
        "checkpoint; report every break (claim, event, what is wrong); exit 1 on any."
    )

    def handle(self, *args, **options):
        breaks = 0
        for broken in verify_all():
            breaks += 1
            self.stderr.write(f"Event log broken: {broken}")
        if breaks:
            self.stderr.write(f"{breaks} break{'s' if breaks != 1 else ''} found.")
            raise SystemExit(1)
        self.stdout.write("Event log intact.")
