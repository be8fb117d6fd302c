from django.core.management.base import BaseCommand, CommandError

from rma_portal.tasks import ping


class Command(BaseCommand):
    help = "Send a ping through the Celery broker and wait for a worker's answer."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=20.0)

    def handle(self, *args, timeout, **options):
        try:
            result = ping.delay().get(timeout=timeout)
        except Exception as exc:  # the broker or worker is the thing being checked
            raise CommandError(f"No answer from a Celery worker: {exc}") from exc
        self.stdout.write(f"Worker answered: database={result['database']} at {result['at']}")
