"""`manage.py create_organisation CODE NAME [--language ko] [--partner]`.

Part of the stable operations interface (SPEC "Operations interface"): bad input exits 1 with a
clear message and creates nothing.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.services import create_organisation
from rma_portal.exceptions import DomainError


class Command(BaseCommand):
    help = "Create a buyer or partner organisation."

    def add_arguments(self, parser):
        parser.add_argument(
            "code", help="Short code used in CSV imports (letters, digits, - and _)."
        )
        parser.add_argument("name", help="The company's name.")
        # Checked by the service, not argparse, so a bad value exits 1 with the same clear message.
        parser.add_argument("--language", default="en", help="Preferred language: en or ko.")
        parser.add_argument(
            "--partner", action="store_true", help="A partner (distributor, integrator)."
        )

    def handle(self, *args, code, name, language, partner, **options):
        try:
            organisation = create_organisation(
                code=code, name=name, language=language, is_partner=partner
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        kind = "partner" if organisation.is_partner else "buyer"
        self.stdout.write(
            f"Created {kind} organisation {organisation.code} ({organisation.name}), "
            f"language {organisation.language}."
        )
