"""create_organisation and create_api_key (SPEC "Operations interface") and API-key auth."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import ApiKey, Organisation
from accounts.services import (
    authenticate_api_key,
    create_api_key,
    create_organisation,
    revoke_api_key,
)
from rma_portal.exceptions import DomainError
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_create_organisation_creates_an_english_buyer_by_default():
    output = run("create_organisation", "acme", "Acme Vision Ltd.")

    organisation = Organisation.objects.get(code="acme")
    assert organisation.name == "Acme Vision Ltd."
    assert organisation.language == "en"
    assert organisation.is_partner is False
    assert "acme" in output


def test_create_organisation_with_korean_language():
    run("create_organisation", "hanbit", "한빛전자", "--language", "ko")

    assert Organisation.objects.get(code="hanbit").language == "ko"


def test_create_organisation_as_partner():
    output = run("create_organisation", "sentinel", "Sentinel Integration", "--partner")

    assert Organisation.objects.get(code="sentinel").is_partner is True
    assert "partner" in output


def test_create_organisation_with_a_duplicate_code_exits_1_and_changes_nothing():
    OrganisationFactory(code="acme", name="Acme Original", language="en")

    with pytest.raises(CommandError, match="already exists") as excinfo:
        run("create_organisation", "acme", "Acme Copy", "--language", "ko", "--partner")

    assert excinfo.value.returncode == 1
    organisation = Organisation.objects.get()
    assert (organisation.name, organisation.language, organisation.is_partner) == (
        "Acme Original",
        "en",
        False,
    )


def test_create_organisation_with_an_unknown_language_exits_1():
    with pytest.raises(CommandError, match="language") as excinfo:
        run("create_organisation", "acme", "Acme", "--language", "fr")

    assert excinfo.value.returncode == 1
    assert not Organisation.objects.exists()


def test_create_organisation_with_a_malformed_code_exits_1():
    with pytest.raises(CommandError, match="code") as excinfo:
        run("create_organisation", "acme vision!", "Acme")

    assert excinfo.value.returncode == 1
    assert not Organisation.objects.exists()


def test_create_organisation_service_rejects_an_empty_name():
    with pytest.raises(DomainError) as excinfo:
        create_organisation(code="acme", name="  ")

    assert excinfo.value.field == "name"
    assert not Organisation.objects.exists()


def test_create_api_key_prints_the_key_alone_on_the_last_line():
    OrganisationFactory(code="sentinel")

    output = run("create_api_key", "sentinel", "--label", "ERP sync")

    raw_key = output.rstrip("\n").splitlines()[-1]
    assert raw_key.startswith("rma_") and " " not in raw_key
    api_key = ApiKey.objects.get()
    assert api_key.organisation.code == "sentinel"
    assert api_key.label == "ERP sync"
    assert raw_key.startswith(f"rma_{api_key.prefix}_")


def test_create_api_key_stores_only_the_hash():
    OrganisationFactory(code="sentinel")

    raw_key = run("create_api_key", "sentinel").rstrip("\n").splitlines()[-1]

    api_key = ApiKey.objects.get()
    assert api_key.key_hash == ApiKey.hash(raw_key)
    stored = [str(value) for value in ApiKey.objects.values_list().get()]
    assert not any(raw_key in value for value in stored)


def test_create_api_key_for_an_unknown_organisation_exits_1_and_creates_nothing():
    with pytest.raises(CommandError, match="nobody") as excinfo:
        run("create_api_key", "nobody")

    assert excinfo.value.returncode == 1
    assert not ApiKey.objects.exists()


def test_a_printed_key_authenticates_as_its_organisation():
    organisation = OrganisationFactory(code="sentinel")
    raw_key = run("create_api_key", "sentinel").rstrip("\n").splitlines()[-1]

    api_key = authenticate_api_key(raw_key)

    assert api_key is not None
    assert api_key.organisation == organisation
    assert api_key.last_used_at is not None


def test_an_unknown_or_empty_key_does_not_authenticate():
    organisation = OrganisationFactory()
    create_api_key(organisation=organisation)

    assert authenticate_api_key("rma_00000000_not-a-key") is None
    assert authenticate_api_key("") is None
    assert authenticate_api_key(None) is None


def test_a_revoked_key_does_not_authenticate():
    api_key, raw_key = create_api_key(organisation=OrganisationFactory())

    revoke_api_key(api_key=api_key)

    assert authenticate_api_key(raw_key) is None
    assert ApiKey.objects.get().revoked_at is not None


def test_revoking_twice_keeps_the_first_revocation_time():
    api_key, _ = create_api_key(organisation=OrganisationFactory())
    revoke_api_key(api_key=api_key)
    first = ApiKey.objects.get().revoked_at

    revoke_api_key(api_key=api_key)

    assert ApiKey.objects.get().revoked_at == first


def test_last_used_at_is_written_at_most_once_a_minute():
    api_key, raw_key = create_api_key(organisation=OrganisationFactory())
    recent = timezone.now() - timedelta(seconds=20)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=recent)

    authenticate_api_key(raw_key)
    assert ApiKey.objects.get().last_used_at == recent

    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=recent - timedelta(minutes=2))
    authenticate_api_key(raw_key)
    assert ApiKey.objects.get().last_used_at > recent
