"""Writes for organisations, users and partner API keys (SPEC "Who uses it", "Partner API").

Every channel (admin, management commands, the demo seed, the API's authentication) calls these;
none of them saves an Organisation, a User or an ApiKey on its own.
"""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiKey, Language, Organisation, User
from rma_portal.exceptions import DomainError

# A busy partner authenticates many times a second; one write a minute is enough to show use.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_KEY_ATTEMPTS = 5


def _domain_error(exc: ValidationError) -> DomainError:
    """The first message of a model validation error, named after its field."""
    if hasattr(exc, "error_dict"):
        field, errors = next(iter(exc.error_dict.items()))
        text = " ".join(message for error in errors for message in error.messages)
        if field == NON_FIELD_ERRORS:
            return DomainError(text)
        return DomainError(f"{field}: {text}", field=field)
    return DomainError(" ".join(exc.messages))


def _check_language(language: str, *, allow_blank: bool = False) -> str:
    language = (language or "").strip().lower()
    if allow_blank and not language:
        return ""
    if language not in Language.values:
        choices = ", ".join(Language.values)
        raise DomainError(
            f"Unknown language {language!r}; choose one of: {choices}.", field="language"
        )
    return language


@transaction.atomic
def create_organisation(
    *, code: str, name: str, language: str = Language.ENGLISH, is_partner: bool = False
) -> Organisation:
    """Create a buyer or partner organisation (SPEC "Domain": preferred language en or ko).

    Raises DomainError for a duplicate or malformed code, an empty name or an unknown language;
    nothing is created then.
    """
    code = (code or "").strip()
    language = _check_language(language)
    if Organisation.objects.filter(code__iexact=code).exists():
        raise DomainError(f"An organisation with code {code!r} already exists.", field="code")
    organisation = Organisation(
        code=code, name=(name or "").strip(), language=language, is_partner=is_partner
    )
    try:
        organisation.full_clean()
        with transaction.atomic():
            organisation.save()
    except ValidationError as exc:
        raise _domain_error(exc) from exc
    except IntegrityError as exc:  # a concurrent create won the race for the code
        raise DomainError(
            f"An organisation with code {code!r} already exists.", field="code"
        ) from exc
    return organisation


@transaction.atomic
def create_api_key(*, organisation: Organisation, label: str = "") -> tuple[ApiKey, str]:
    """Create a partner API key for ``organisation`` (SPEC "Partner API").

    Returns the stored key and the raw key. Only the raw key's SHA-256 hash is stored: show the raw
    key to its owner once, now; it cannot be recovered later.
    """
    if organisation is None or organisation.pk is None:
        raise DomainError("An API key needs an existing organisation.", field="organisation")
    for _attempt in range(_KEY_ATTEMPTS):
        raw_key, prefix = ApiKey.generate()
        if ApiKey.objects.filter(prefix=prefix).exists():
            continue  # an 8-hex-digit prefix may collide, rarely; draw again
        api_key = ApiKey(
            organisation=organisation,
            label=(label or "").strip(),
            prefix=prefix,
            key_hash=ApiKey.hash(raw_key),
        )
        try:
            api_key.full_clean()
        except ValidationError as exc:
            raise _domain_error(exc) from exc
        api_key.save()
        return api_key, raw_key
    raise DomainError("Could not generate a unique API key; try again.")  # pragma: no cover


@transaction.atomic
def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key (SPEC "Partner API": keys are revocable). Revoking twice changes nothing."""
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    locked.revoke()
    api_key.revoked_at = locked.revoked_at
    return locked


def authenticate_api_key(raw_key: str | None) -> ApiKey | None:
    """The active key whose hash matches ``raw_key``, with its organisation; None otherwise.

    Records the time of use, at most once a minute per key, so authentication stays a read.
    """
    if not raw_key or not isinstance(raw_key, str):
        return None
    api_key = (
        ApiKey.objects.active()
        .select_related("organisation")
        .filter(key_hash=ApiKey.hash(raw_key.strip()))
        .first()
    )
    if api_key is None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        # A conditional UPDATE: concurrent requests do not pile up writes or move the time back.
        stale = ApiKey.objects.filter(pk=api_key.pk, last_used_at__lt=now - LAST_USED_RESOLUTION)
        never = ApiKey.objects.filter(pk=api_key.pk, last_used_at__isnull=True)
        (stale | never).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


@transaction.atomic
def ensure_user(
    *,
    username: str,
    email: str,
    password: str,
    organisation: Organisation | None = None,
    staff_group: str | None = None,
    language: str = "",
) -> User:
    """Create the user, or bring an existing one to the given state; idempotent.

    A user with an organisation is that organisation's buyer; with ``staff_group`` (a group name,
    e.g. "Sales staff") the user is CPRO staff: ``is_staff``, in that group, with no organisation.
    New users are never superusers; an existing user's superuser flag is left alone. The password
    is set only when it does not already match, so a second call with the same arguments changes
    nothing.
    """
    if organisation is not None and staff_group:
        raise DomainError("CPRO staff belong to no organisation.", field="organisation")
    language = _check_language(language, allow_blank=True)
    group = None
    if staff_group:
        group = Group.objects.filter(name=staff_group).first()
        if group is None:
            raise DomainError(f"There is no group named {staff_group!r}.", field="staff_group")

    user = User.objects.select_for_update().filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
    wanted = {
        "email": email,
        "organisation": organisation,
        "language": language,
        "is_staff": group is not None,
        "is_active": True,
    }
    changed = created
    for field, value in wanted.items():
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed = True
    if created or not user.check_password(password):
        user.set_password(password)
        changed = True
    if changed:
        try:
            user.full_clean()
        except ValidationError as exc:
            raise _domain_error(exc) from exc
        user.save()
    if group is not None and not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
    return user
