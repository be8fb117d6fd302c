"""Structured logs: one JSON object (or key=value line) a record, with the request id and the
RMA number where known.

- ``RequestContextMiddleware`` takes ``X-Request-ID`` from the proxy (or makes one), returns it
  in the response and binds it for the request's log lines.
- Celery tasks bind their task id and name (``rma_portal/celery.py``).
- The RMA number is bound when the request or task saves anything of a claim (the claim itself,
  its events, documents, messages, e-mails): the claim it is working on, from then on.

``LOG_FORMAT=json`` (the default with DEBUG off) or ``text`` (key=value; with DEBUG on).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

_context: contextvars.ContextVar[dict | None] = contextvars.ContextVar("log_context", default=None)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


def bind(**values) -> None:
    """Add values to the current request's or task's log context."""
    _context.set({**(_context.get() or {}), **{k: v for k, v in values.items() if v}})


def clear() -> contextvars.Token:
    return _context.set({})


def current() -> dict:
    return dict(_context.get() or {})


class ContextFilter(logging.Filter):
    """Puts the bound context on every record (``record.context``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.context = current()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "context", {}),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        parts = [
            datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            f"level={record.levelname}",
            f"logger={record.name}",
            *(f"{k}={v}" for k, v in getattr(record, "context", {}).items()),
            f"msg={json.dumps(record.getMessage(), ensure_ascii=False)}",
        ]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class RequestContextMiddleware:
    """Binds the request id (the proxy's ``X-Request-ID`` when sane, else a new one)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        # A fresh context for each request; cleared when the response is closed (after Django
        # has logged a 4xx/5xx, which happens outside the middleware).
        _context.set({"request_id": request_id})
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def _clear_after_request(**kwargs) -> None:
    clear()


def bind_claim_on_save(sender, instance, **kwargs) -> None:
    """post_save: the RMA number of the claim being worked on, once it is known."""
    from claims.models import Claim

    if isinstance(instance, Claim):
        claim = instance
    else:
        field = sender._meta.get_field("claim")
        if not hasattr(field, "is_cached") or not field.is_cached(instance):
            return
        claim = instance.claim
    if claim is not None and getattr(claim, "rma_number", None):
        bind(rma=claim.rma_number)


def connect() -> None:
    from django.apps import apps
    from django.core.signals import request_finished
    from django.db.models.signals import post_save

    request_finished.connect(_clear_after_request, dispatch_uid="log-context-clear")

    for model in apps.get_models():
        concrete = {f.name for f in model._meta.concrete_fields}
        if model._meta.label == "claims.Claim" or "claim" in concrete:
            post_save.connect(bind_claim_on_save, sender=model, dispatch_uid=f"log-rma-{model}")
