"""``Idempotency-Key`` on POSTs (SPEC "Partner API"): a retried request is answered with the
first response instead of acting twice.

The key row is inserted first, in the transaction that runs the request, and stays locked until
it commits with the response. A concurrent duplicate waits on the unique index, then finds the
stored response and replays it; it never runs the act a second time. A request that fails (an
error raised, nothing changed) rolls its key back with it, so a corrected retry may reuse it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.models import Organisation
from rma_portal.api import caller_organisation
from rma_portal.exceptions import DomainError

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def ttl() -> timedelta:
    return timedelta(hours=float(settings.RMA_IDEMPOTENCY_TTL_HOURS))


class IdempotencyMismatch(DomainError):
    """The key was already used for another request (method, path or body differ)."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This Idempotency-Key was already used with another request (method, path or "
                "body differ). Use a new key for a new request."
            ),
            field=HEADER,
            code="unprocessable",
        )


def clean_key(raw: str) -> str:
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [_("Use 1 to 255 printable ASCII characters, e.g. a UUID.")]}
        )
    return key


def fingerprint(method: str, path: str, body_digest: str) -> str:
    """SHA-256 of method, path and the SHA-256 of the body."""
    return hashlib.sha256(f"{method.upper()} {path} {body_digest}".encode()).hexdigest()


def body_digest(request) -> str:
    """SHA-256 of the request's data. A multipart body differs on every send (its boundary), so
    it is digested as its fields and files' contents; a JSON body as its parsed value."""
    digest = hashlib.sha256()
    if request.content_type.startswith("multipart/"):
        data = request.data
        for name in sorted(data.keys()):
            for value in data.getlist(name):
                digest.update(name.encode() + b"\0")
                if isinstance(value, UploadedFile):
                    digest.update((value.name or "").encode() + b"\0")
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(str(value).encode())
                digest.update(b"\0")
    else:
        # The parsed JSON, not the bytes: the same data pretty-printed, or with its keys in
        # another order, is the same request and replays.
        canonical = json.dumps(
            request.data, sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        digest.update(canonical.encode())
    return digest.hexdigest()


@dataclass
class Claimed:
    record: IdempotencyKey
    replay: bool


def claim_key(
    *,
    organisation: Organisation,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    api_key_prefix: str = "",
    now: datetime | None = None,
) -> Claimed:
    """Take ``key`` for this request, inside the caller's transaction.

    Returns the stored first response to replay, or the fresh (locked) row to fill once the
    request is answered. Raises IdempotencyMismatch when the key belongs to another request. A
    key older than the retention period counts as unused.
    """
    now = now or timezone.now()
    fields = {
        "fingerprint": fingerprint,
        "method": method.upper(),
        "path": path[:500],
        "api_key_prefix": api_key_prefix,
        "response_status": None,
        "response_body": None,
        "created_at": now,
    }
    # Insert first: a concurrent duplicate blocks on the unique index until this commits.
    record, created = IdempotencyKey.objects.get_or_create(
        organisation=organisation, key=key, defaults=fields
    )
    if created:
        return Claimed(record, replay=False)
    record = IdempotencyKey.objects.select_for_update().get(pk=record.pk)
    if record.created_at < now - ttl() or record.response_status is None:
        for name, value in fields.items():
            setattr(record, name, value)
        record.save()
        return Claimed(record, replay=False)
    if record.fingerprint != fingerprint:
        raise IdempotencyMismatch()
    return Claimed(record, replay=True)


def store_response(record: IdempotencyKey, *, status: int, body) -> None:
    record.response_status = status
    record.response_body = body
    record.save(update_fields=["response_status", "response_body"])


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete keys past the retention period (24 h); beat runs it. Returns how many."""
    now = now or timezone.now()
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lt=now - ttl()).delete()
    return deleted


def idempotent(handler):
    """Decorate an API view's ``post``: with an ``Idempotency-Key`` header, the first response
    (status and body) is stored and replayed to every repeat of the same request, with the
    header ``Idempotent-Replayed: true``. Server errors are not stored."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        raw = request.headers.get(HEADER)
        if raw is None:
            return handler(view, request, *args, **kwargs)
        key = clean_key(raw)
        organisation = caller_organisation(request)
        api_key = getattr(request.user, "api_key", None)
        with transaction.atomic():
            claimed = claim_key(
                organisation=organisation,
                key=key,
                fingerprint=fingerprint(request.method, request.path, body_digest(request)),
                method=request.method,
                path=request.path,
                api_key_prefix=api_key.prefix if api_key is not None else "",
            )
            if claimed.replay:
                return Response(
                    claimed.record.response_body,
                    status=claimed.record.response_status,
                    headers={REPLAYED_HEADER: "true"},
                )
            response = handler(view, request, *args, **kwargs)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            body = getattr(response, "data", None)
            store_response(
                claimed.record,
                status=response.status_code,
                body=json.loads(JSONRenderer().render(body)) if body is not None else None,
            )
        return response

    return wrapper
