"""Reads of accounts on the API's hot path."""

from __future__ import annotations

import functools

from django.db import connection

from rma_portal import rows

from .models import ApiKey, Organisation


def active_api_key(key_hash: str) -> ApiKey | None:
    """The unrevoked key with this hash and its organisation, in one query (SQL built once).

    Read on every API request, so a revoked key fails on the very next request: nothing is
    cached across requests.
    """
    with connection.cursor() as cursor:
        cursor.execute(_active_api_key_sql(), [key_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    end = rows.width(ApiKey)
    api_key = rows.instance(ApiKey, row[:end])
    ApiKey.organisation.field.set_cached_value(api_key, rows.instance(Organisation, row[end:]))
    return api_key


@functools.cache
def _active_api_key_sql() -> str:
    return (
        f"SELECT {rows.columns(ApiKey, 'k')}, {rows.columns(Organisation, 'o')} "
        f"FROM {rows.table(ApiKey)} k "
        f"JOIN {rows.table(Organisation)} o ON o.id = k.organisation_id "
        "WHERE k.key_hash = %s AND k.revoked_at IS NULL"
    )
