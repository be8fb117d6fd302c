"""`manage.py create_api_key ORG_CODE [--label TEXT]` (SPEC "Operations interface").

The new key is printed once, alone on the last line of standard output, so scripts can take it
with ``tail -n 1``. Only its hash is stored.
"""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from accounts.services import create_api_key
from rma_portal.exceptions import DomainError


class Command(BaseCommand):
    help = "Create a partner API key for an organisation and print it once (last line)."

    def add_arguments(self, parser):
        parser.add_argument("org_code", help="The organisation's code.")
        parser.add_argument("--label", default="", help="What the key is for, e.g. 'ERP sync'.")

    def handle(self, *args, org_code, label, **options):
        organisation = Organisation.objects.filter(code=org_code).first()
        if organisation is None:
            raise CommandError(f"No organisation with code {org_code!r}.")
        try:
            api_key, raw_key = create_api_key(organisation=organisation, label=label)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Created API key {api_key.prefix}… for {organisation.code}"
            + (f" ({api_key.label})" if api_key.label else "")
            + ". It is shown only now; store it safely:"
        )
        self.stdout.write(raw_key)
