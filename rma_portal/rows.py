"""Hand-built SQL for the two hottest reads (the warranty API): compiled once per process.

Building a queryset's SQL costs more than running it for a one-row primary-key-like read (the
ORM compiler: about 1 ms a query on this machine, see bench/lookup.py). The few hot paths that
matter write their join once, from the models' own ``_meta``, and turn each row back into full
model instances with ``Model.from_db``, so callers get the same objects as from the ORM.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connection
from django.db.models import Field, Model


def columns(model: type[Model], alias: str) -> str:
    """Every concrete column of ``model``, qualified by ``alias``, in ``_meta`` order."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def instance(model: type[Model], values: Sequence) -> Model:
    """A ``model`` instance from its columns as ``columns(model, …)`` selected them, converted
    as the ORM converts them (SQLite returns dates and decimals as text)."""
    names, converters = _loading(model)
    if converters:
        values = list(values)
        for index, field, functions in converters:
            for function in functions:
                values[index] = function(values[index], field, connection)
    return model.from_db(connection.alias, names, values)


@functools.cache
def _loading(model: type[Model]) -> tuple[list[str], list[tuple[int, Field, list]]]:
    fields = model._meta.concrete_fields
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if functions:
            converters.append((index, column, functions))
    return [f.attname for f in fields], converters


def width(model: type[Model]) -> int:
    return len(model._meta.concrete_fields)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)
