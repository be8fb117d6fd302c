"""Writes for organisations, users and partner API keys (SPEC "Who uses it", "Partner API").

Every channel (admin, management commands, the demo seed, the API's authentication) calls these;
none of them saves an Organisation, a User or an ApiKey on its own.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes, force_str
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.models import ApiKey, Language, Organisation, User
from accounts.selectors import active_api_key
from rma_portal.exceptions import DomainError, Forbidden

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
            _("Unknown language '%(language)s'; choose one of: %(choices)s.")
            % {"language": language, "choices": choices},
            field="language",
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
    taken = _("An organisation with code '%(code)s' already exists.") % {"code": code}
    if Organisation.objects.filter(code__iexact=code).exists():
        raise DomainError(taken, field="code")
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
        raise DomainError(taken, field="code") from exc
    return organisation


@transaction.atomic
def create_api_key(*, organisation: Organisation, label: str = "") -> tuple[ApiKey, str]:
    """Create a partner API key for ``organisation`` (SPEC "Partner API").

    Returns the stored key and the raw key. Only the raw key's SHA-256 hash is stored: show the raw
    key to its owner once, now; it cannot be recovered later.
    """
    if organisation is None or organisation.pk is None:
        raise DomainError(_("An API key needs an existing organisation."), field="organisation")
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
    raise DomainError(_("Could not generate a unique API key; try again."))  # pragma: no cover


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
    api_key = active_api_key(ApiKey.hash(raw_key.strip()))
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
        raise DomainError(_("CPRO staff belong to no organisation."), field="organisation")
    language = _check_language(language, allow_blank=True)
    group = None
    if staff_group:
        group = Group.objects.filter(name=staff_group).first()
        if group is None:
            raise DomainError(
                _("There is no group named '%(group)s'.") % {"group": staff_group},
                field="staff_group",
            )

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


# --- Invitations (SPEC "Who uses it": buyers sign in to the portal) ---------------------------


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """A one-use link to set a first password.

    The token covers the user's password hash (unusable until accepted) and last login, so it
    stops working once used; it expires after ``RMA_INVITATION_DAYS`` (default 7) days, not the
    password-reset timeout.
    """

    key_salt = "accounts.services.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        if not (user and token) or not isinstance(token, str):
            return False
        try:
            ts_b36, _hash = token.split("-")
            timestamp = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, timestamp, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        days = settings.RMA_INVITATION_DAYS
        return self._num_seconds(self._now()) - timestamp <= days * 24 * 3600


invitation_tokens = InvitationTokenGenerator()


def invitation_link(user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "portal:accept_invitation",
        kwargs={"uidb64": uidb64, "token": invitation_tokens.make_token(user)},
    )
    return settings.SITE_URL + path


def _username_for(email: str) -> str:
    base = email[:150]
    username, n = base, 1
    while User.objects.filter(username__iexact=username).exists():
        n += 1
        suffix = f"-{n}"
        username = base[: 150 - len(suffix)] + suffix
    return username


@transaction.atomic
def invite_user(*, organisation: Organisation, email: str, invited_by: User) -> User:
    """CPRO staff invite a buyer of ``organisation`` by e-mail: the user is created without a
    password and gets a link, valid for 7 days and once, to set one (then they sign in).

    Inviting the same address again, before it is accepted, sends a new link. An address that
    already has an account, or belongs to another organisation or to staff, is refused. The
    e-mail is in the organisation's language; if it cannot be sent nothing is created.
    """
    if invited_by is None or not invited_by.is_staff:
        raise Forbidden(_("Only CPRO staff may invite users."))
    if organisation is None or organisation.pk is None:
        raise DomainError(_("Choose the organisation to invite the user to."), field="organisation")
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Enter a valid e-mail address."), field="email") from None
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is not None:
        if user.organisation_id != organisation.pk or user.is_staff:
            raise DomainError(
                _("A user with this e-mail address already exists elsewhere."), field="email"
            )
        if user.has_usable_password():
            raise DomainError(
                _("%(email)s already has an account; they can reset their password.")
                % {"email": email},
                field="email",
            )
        if not user.is_active:
            raise DomainError(_("This user's account is deactivated."), field="email")
    else:
        user = User(
            username=_username_for(email.lower()),
            email=email,
            organisation=organisation,
            is_active=True,
        )
        user.set_unusable_password()
        try:
            user.full_clean()
        except ValidationError as exc:
            raise _domain_error(exc) from exc
        user.save()
    _send_invitation(user, organisation, invited_by)
    return user


def _send_invitation(user: User, organisation: Organisation, invited_by: User) -> None:
    context = {
        "user": user,
        "organisation": organisation,
        "link": invitation_link(user),
        "days": settings.RMA_INVITATION_DAYS,
        "site_url": settings.SITE_URL,
    }
    with translation.override(user.preferred_language):
        subject = render_to_string("accounts/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/invitation_email.txt", context)
    EmailMessage(subject=" ".join(subject.split()), body=body, to=[user.email]).send()


def invited_user(uidb64: str, token: str) -> User | None:
    """The user an invitation link names while it is valid: unexpired and not yet used."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or user.has_usable_password():
        return None
    return user if invitation_tokens.check_token(user, token) else None


@transaction.atomic
def accept_invitation(*, user: User, token: str, password: str) -> User:
    """Set the invited user's first password; the link cannot be used again afterwards."""
    locked = User.objects.select_for_update().filter(pk=user.pk).first()
    if (
        locked is None
        or not locked.is_active
        or locked.has_usable_password()
        or not invitation_tokens.check_token(locked, token)
    ):
        raise DomainError(
            _("This invitation link has expired or was already used."), code="invalid_invitation"
        )
    try:
        validate_password(password, locked)
    except ValidationError as exc:
        raise DomainError(" ".join(exc.messages), field="password") from exc
    locked.set_password(password)
    locked.save(update_fields=["password"])
    return locked


def set_user_language(*, user: User, language: str) -> User:
    """The user's own portal language (blank: their organisation's)."""
    language = _check_language(language, allow_blank=True)
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
