"""The API's JSON parser: a size limit answered 413 and a nesting limit answered 400, both in the
documented error body (docs/api.md "Errors"), never Django's HTML 400 or a 500.

Python's ``json`` recurses per level of nesting, so a body nested a few thousand deep raised
``RecursionError`` (HTTP 500). Here the nesting is measured on the raw text first, without
recursion, and a body deeper than ``MAX_DEPTH`` is refused before it is decoded. The size limit
is ``RMA_API_MAX_JSON_BYTES`` (16 MB), so that a claim at the documented maxima — 200 items with
10,000-character Korean defect details, even with every character escaped as ``\\uXXXX`` —
fits; Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (the portal's forms) does not apply here.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

# Our deepest body is {"items": [{...}]}: three levels. 32 leaves room and refuses abuse.
MAX_DEPTH = 32

# Strings (with their escapes) and the brackets outside them; nothing else matters for depth.
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"


def limit_in_mb() -> int:
    return settings.RMA_API_MAX_JSON_BYTES // (1024 * 1024)


def too_large() -> BodyTooLarge:
    return BodyTooLarge(
        _("The request body is larger than %(limit)d MB, the limit for JSON.")
        % {"limit": limit_in_mb()}
    )


def nesting_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in ``raw`` (JSON text), brackets in strings aside."""
    depth = deepest = 0
    for token in _TOKENS.finditer(raw):
        char = token.group()
        if char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


class LimitedJSONParser(JSONParser):
    """``application/json`` up to ``RMA_API_MAX_JSON_BYTES``, nested at most ``MAX_DEPTH``."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.RMA_API_MAX_JSON_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large()
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise too_large()
        if nesting_depth(raw) > MAX_DEPTH:
            raise exceptions.ParseError(
                _("JSON parse error - nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH}
            )
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:
            message = _("JSON parse error - %(error)s") % {"error": error}
            raise exceptions.ParseError(message) from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")
