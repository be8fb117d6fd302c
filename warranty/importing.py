"""Bulk CSV import of product models and shipments (SPEC "Domain", "Operations interface").

One service for every channel: the ``import_products`` and ``import_shipments`` management
commands, the admin's shipment import page and the Celery task for large files all call these
functions; they only parse their input and show the outcome.

Both imports are all or nothing. Every row is checked first; any bad row rejects the whole file
with row-numbered errors (``ImportRejected``), and nothing is written. Line numbers are the
file's own, header = line 1, as a spreadsheet shows them. Shipment records are what N3 notices
are checked against and what the warranty period (W1) counts from, so a half-imported file would
have claims judged against wrong data.

Shipment files can be large (1,000,000 units and more). On PostgreSQL the file is streamed
(never held in memory) into a temporary staging table with ``COPY`` (a plain file's bytes
straight into it, ``_copy_file``); the checks are set-based queries over grouped rows (a
serial repeated among the new units is left to the unique constraint), and a file that fails
them, or that the database refuses, is checked row by row in SQL with the same row-numbered
messages as the Python checks; the rows are written with ``INSERT … SELECT``; checking and
writing are one transaction. Progress is reported while the rows are staged, outside that
transaction, so the admin's status page sees it. On SQLite (``./dev up``'s embedded default)
the rows are read into memory and checked in Python (``_ShipmentChecker``), chunk by chunk,
then written with ``bulk_create``: slower, same messages (tests/warranty/test_import_checks_agree.py
holds the two to the same errors).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError, Q, RestrictedError
from django.utils import timezone

from accounts.models import Organisation
from rma_portal.exceptions import DomainError

from . import import_messages
from .models import (
    Component,
    ComponentKind,
    ImportStatus,
    ProductModel,
    Shipment,
    ShipmentImport,
    Unit,
)

Source = IO[str] | IO[bytes] | File | str | os.PathLike[str]
Progress = Callable[[int, int], None]

PRODUCT_COLUMNS = ("model_code", "name", "is_camera_module", "mechanical_wear", "components")
SHIPMENT_COLUMNS = (
    "pi_number",
    "po_number",
    "buyer",
    "shipment_date",
    "delivery_date",
    "serial_number",
    "model_code",
    "unit_price",
    "currency",
)

PROGRESS_STEP = 2000  # rows checked between progress reports
LOOKUP_CHUNK = 5000  # values per `IN (...)` lookup of existing rows
WRITE_BATCH = 5000  # rows per bulk_create batch (SQLite)
# Errors listed, the first by line; the rest only counted. A file can have millions (every
# row of a 1,000,000-row file names a model not yet imported: 2,000,000 errors, 2.4 GB of
# memory and a 300 MB JSON on the import's record when they were all kept).
MAX_LISTED_ERRORS = 10_000

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_ORG_CODE = re.compile(r"[-a-zA-Z0-9_]+")
_CENT = Decimal("0.01")
_ORG_CODE_MAX = Organisation._meta.get_field("code").max_length
_PRICE_MAX_INTEGER_DIGITS = (
    Unit._meta.get_field("unit_price").max_digits
    - Unit._meta.get_field("unit_price").decimal_places
)


# --- Results and errors -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in the file: its line (header = 1), the column (may be empty), and what is
    wrong: a code of ``import_messages.MESSAGES`` and the values its message names, worded in
    the active language when it is read (``message``)."""

    line: int
    column: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Ready for JSON (a background import stores its errors): dates and prices as text.
        params = {
            k: v if isinstance(v, int | str | list) else str(v) for k, v in self.params.items()
        }
        object.__setattr__(self, "params", params)

    @property
    def message(self) -> str:
        return import_messages.worded(self.code, self.params)

    def __str__(self) -> str:
        return f"{import_messages.where(self.line, self.column)}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """As stored: code and values, and the message as worded now (for readers of the JSON)."""
        return {
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "params": self.params,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RowError:
        """A stored error (``as_dict``); one stored before errors had codes keeps its text."""
        if "code" in data:
            return cls(data["line"], data["column"], data["code"], data.get("params", {}))
        return cls(data["line"], data["column"], "stored_text", {"message": data["message"]})


class ImportRejected(DomainError):
    """The file has errors; nothing was imported. ``errors`` lists the first
    ``MAX_LISTED_ERRORS`` of them in line order; ``total`` counts them all (``total`` is
    given when ``errors`` are already only the first ones)."""

    def __init__(self, errors: Sequence[RowError], total: int | None = None):
        self.errors = sorted(errors, key=lambda error: error.line)[:MAX_LISTED_ERRORS]
        self.total = len(errors) if total is None else total
        super().__init__(
            import_messages.rejected(self.total, listed=len(self.errors)), code="import_rejected"
        )


class _FirstErrors(list):
    """The first ``MAX_LISTED_ERRORS`` errors appended, as a reader finds them (in line
    order), and how many were appended in all (``total``)."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0

    def append(self, error: RowError) -> None:
        self.total += 1
        if len(self) < MAX_LISTED_ERRORS:
            super().append(error)


@dataclass
class ProductImportResult:
    rows: int = 0
    products_created: int = 0
    products_updated: int = 0
    products_unchanged: int = 0
    components_created: int = 0
    components_updated: int = 0
    components_removed: int = 0

    def counts(self) -> dict[str, int]:
        return asdict(self)

    def summary(self) -> str:
        return import_messages.product_summary(self.counts())


@dataclass
class ShipmentImportResult:
    rows: int = 0
    shipments_created: int = 0
    shipments_updated: int = 0
    shipments_unchanged: int = 0
    units_created: int = 0
    units_unchanged: int = 0
    buyers_created: list[str] = field(default_factory=list)
    # PI numbers whose missing delivery date this file filled in (the only update allowed).
    delivery_dates_filled: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        return import_messages.shipment_summary(self.counts())


# --- Reading the file ----------------------------------------------------------------------


@contextmanager
def _text_stream(source: Source) -> Iterator[IO[str]]:
    """Text from a path, a text stream, or a binary file (an upload, a stored file): UTF-8."""
    if isinstance(source, str | os.PathLike):
        with open(source, encoding="utf-8-sig", newline="") as stream:
            yield stream
    elif isinstance(source, io.TextIOBase):
        yield source
    else:
        stream = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]
        try:
            yield stream
        finally:
            stream.detach()  # leave the caller's file open


class _Unreadable(Exception):
    """The file cannot be read as the import's CSV: its one error replaces all others."""

    def __init__(self, error: RowError):
        self.error = error


def _header_positions(header: Sequence[str], columns: Sequence[str]) -> list[int]:
    """Where each of ``columns`` is in the header; ``_Unreadable`` if the header is wrong."""
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    missing = [name for name in columns if name not in names]
    unexpected = [name for name in names if name and name not in columns]
    duplicated = sorted({name for name in names if name and names.count(name) > 1})
    if missing or unexpected or duplicated:
        problems = {"missing": missing, "unexpected": unexpected, "repeated": duplicated}
        raise _Unreadable(RowError(1, "", "header", {"columns": ",".join(columns), **problems}))
    return [names.index(name) for name in columns]


def _iter_rows(
    source: Source, columns: Sequence[str], errors: list[RowError]
) -> Iterator[tuple[int, list[str]]]:
    """The data rows as (line, values in ``columns`` order), streamed; row errors go to
    ``errors``. A bad header, text that is not UTF-8 or unreadable CSV raise ``_Unreadable``."""
    with _text_stream(source) as stream:
        reader = csv.reader(stream)
        next_line = 1
        try:
            header = next(reader, None)
            if header is None:
                raise _Unreadable(RowError(1, "", "file_empty"))
            next_line = reader.line_num + 1
            positions = _header_positions(header, columns)
            width = len(header)
            for record in reader:
                line = next_line
                next_line = reader.line_num + 1
                if not any(value.strip() for value in record):
                    continue  # blank lines and rows of empty cells, as spreadsheets export them
                if len(record) < width or any(value.strip() for value in record[width:]):
                    found = {"expected": width, "found": len(record)}
                    errors.append(RowError(line, "", "wrong_width", found))
                    continue
                yield line, [record[i].strip() for i in positions]
        except UnicodeDecodeError:
            raise _Unreadable(RowError(next_line, "", "not_utf8")) from None
        except csv.Error as exc:
            raise _Unreadable(RowError(next_line, "", "not_csv", {"reason": str(exc)})) from None


def _read_rows(
    source: Source, columns: Sequence[str]
) -> tuple[list[tuple[int, list[str]]], list[RowError]]:
    """The data rows as (line, values in ``columns`` order), or the file-level errors."""
    errors: list[RowError] = []
    try:
        rows = list(_iter_rows(source, columns, errors))
    except _Unreadable as unreadable:
        return [], [unreadable.error]
    if not rows and not errors:
        errors.append(_NO_DATA_ROWS)
    return rows, errors


_NO_DATA_ROWS = RowError(1, "", "no_data_rows")
# Another import registered some of these PIs or serials between check and write.
_RACE = RowError(1, "", "import_race")


def count_data_rows(*, source: Source) -> int:
    """The number of data rows in a CSV file (0 if unreadable): decides sync or background."""
    try:
        with _text_stream(source) as stream:
            return max(sum(1 for record in csv.reader(stream) if any(record)) - 1, 0)
    except (UnicodeDecodeError, csv.Error):
        return 0


def _chunks(values: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _lookup(queryset, field_name: str, values, *fields: str) -> dict:
    """``{value: row}`` for the rows of ``queryset`` whose ``field_name`` is among ``values``."""
    found = {}
    for chunk in _chunks(sorted(values), LOOKUP_CHUNK):
        for row in queryset.filter(**{f"{field_name}__in": chunk}).values_list(field_name, *fields):
            found[row[0]] = row[1:] if len(fields) > 1 else row[1]
    return found


# --- Products --------------------------------------------------------------------------------


def _parse_bool(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value.lower())


def import_products(*, source: Source) -> ProductImportResult:
    """Create or update product models and their components from CSV (W2, W3, W4 flags).

    Columns ``model_code,name,is_camera_module,mechanical_wear,components``; booleans
    ``true``/``false``; ``components`` is a ``;``-separated list of ``kind:name`` with the kinds of
    ``ComponentKind`` (W3 camera module, W4 mechanical, W2 third-party, standard), may be empty.
    A model already on record is updated by its code, and its components are made to match the
    list: kinds updated, missing ones added, unlisted ones removed (unless claims refer to them).
    All or nothing: raises ``ImportRejected`` with every row-numbered error.
    """
    rows, errors = _read_rows(source, PRODUCT_COLUMNS)
    kinds = {kind.value for kind in ComponentKind}
    code_max = ProductModel._meta.get_field("code").max_length
    name_max = ProductModel._meta.get_field("name").max_length
    component_max = Component._meta.get_field("name").max_length
    seen: dict[str, int] = {}
    wanted: dict[str, tuple[int, dict[str, Any], dict[str, str]]] = {}
    for line, (code, name, camera, mechanical, components_text) in rows:
        row_errors: list[RowError] = []
        if not code:
            row_errors.append(RowError(line, "model_code", "model_code_missing"))
        elif len(code) > code_max:
            row_errors.append(
                RowError(line, "model_code", "model_code_too_long", {"limit": code_max})
            )
        elif code in seen:
            twice = {"code": code, "first_line": seen[code]}
            row_errors.append(RowError(line, "model_code", "model_listed_twice", twice))
        else:
            seen[code] = line
        if not name:
            row_errors.append(RowError(line, "name", "name_missing"))
        elif len(name) > name_max:
            row_errors.append(RowError(line, "name", "name_too_long", {"limit": name_max}))
        flags = {}
        for column, value in (("is_camera_module", camera), ("mechanical_wear", mechanical)):
            flags[column] = _parse_bool(value)
            if flags[column] is None:
                row_errors.append(RowError(line, column, "not_boolean", {"value": value}))
        components: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in components_text.split(";"))):
            kind, _, component = (part.strip() for part in item.partition(":"))
            if kind not in kinds or not component:
                malformed = {"item": item, "kinds": ", ".join(sorted(kinds))}
                row_errors.append(RowError(line, "components", "component_malformed", malformed))
            elif len(component) > component_max:
                row_errors.append(
                    RowError(line, "components", "component_name_too_long", {"name": component})
                )
            elif component in components:
                row_errors.append(
                    RowError(line, "components", "component_listed_twice", {"name": component})
                )
            else:
                components[component] = kind
        errors.extend(row_errors)
        if not row_errors:
            wanted[code] = (line, {"name": name, **flags}, components)
    if errors:
        raise ImportRejected(errors)

    result = ProductImportResult(rows=len(rows))
    with transaction.atomic():
        existing = {
            product.code: product
            for product in ProductModel.objects.filter(code__in=wanted).prefetch_related(
                "components"
            )
        }
        new = [
            ProductModel(code=code, **values)
            for code, (_line, values, _components) in wanted.items()
            if code not in existing
        ]
        ProductModel.objects.bulk_create(new)
        result.products_created = len(new)
        products = {
            **existing,
            **{p.code: p for p in ProductModel.objects.filter(code__in=[p.code for p in new])},
        }
        changed_products = []
        to_create, to_update, to_remove = [], [], {}
        for code, (_line, values, components) in wanted.items():
            product = products[code]
            current = {c.name: c for c in product.components.all()} if code in existing else {}
            changed = False
            if code in existing:
                for attribute, value in values.items():
                    if getattr(product, attribute) != value:
                        setattr(product, attribute, value)
                        changed = True
                if changed:
                    changed_products.append(product)
            for component_name, kind in components.items():
                if component_name not in current:
                    to_create.append(
                        Component(product_model=product, name=component_name, kind=kind)
                    )
                    changed = True
                elif current[component_name].kind != kind:
                    current[component_name].kind = kind
                    to_update.append(current[component_name])
                    changed = True
            removed = [c.pk for n, c in current.items() if n not in components]
            if removed:
                to_remove[code] = removed
                changed = True
            if code in existing:
                if changed:
                    result.products_updated += 1
                else:
                    result.products_unchanged += 1
        ProductModel.objects.bulk_update(
            changed_products, ["name", "is_camera_module", "mechanical_wear"]
        )
        for code, pks in to_remove.items():
            try:
                result.components_removed += Component.objects.filter(pk__in=pks).delete()[0]
            except (ProtectedError, RestrictedError):
                errors.append(
                    RowError(wanted[code][0], "components", "components_in_use", {"code": code})
                )
        if errors:
            raise ImportRejected(errors)  # rolls back the whole file
        Component.objects.bulk_update(to_update, ["kind"])
        Component.objects.bulk_create(to_create)
        result.components_created = len(to_create)
        result.components_updated = len(to_update)
    return result


# --- Shipments -------------------------------------------------------------------------------

_SHIPMENT_FIELDS = {"pi_number", "po_number", "buyer", "shipment_date", "delivery_date"}


@dataclass(slots=True)
class _PiRecord:
    """The shipment-level values of a PI as first seen in the file."""

    line: int
    po_number: str
    buyer: str
    shipment_date: date
    delivery_date: date | None


@dataclass(slots=True)
class _RecordedShipment:
    po_number: str
    buyer: str
    shipment_date: date
    delivery_date: date | None


def _parse_date(value: str, line: int, column: str, errors: list[RowError]) -> date | None:
    if not _DATE.fullmatch(value):
        errors.append(RowError(line, column, "date_malformed", {"value": value}))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(RowError(line, column, "date_unreal", {"value": value}))
        return None


def _parse_price(value: str, line: int, errors: list[RowError]) -> Decimal | None:
    if not value:
        errors.append(RowError(line, "unit_price", "price_missing"))
        return None
    if not _NUMBER.fullmatch(value):
        errors.append(RowError(line, "unit_price", "price_not_number", {"value": value}))
        return None
    price = Decimal(value)
    if price <= 0:
        code = "price_not_positive"
    elif price.adjusted() >= _PRICE_MAX_INTEGER_DIGITS:
        code = "price_too_large"
    elif price != price.quantize(_CENT):
        code = "price_too_precise"
    else:
        return price.quantize(_CENT)
    errors.append(RowError(line, "unit_price", code, {"value": value}))
    return None


def _unlike_the_record(line, code, subject, compared, errors: list[RowError]) -> None:
    """Error ``code`` for each (column, value, recorded) whose value is not as recorded;
    ``subject`` names the PI or serial the record is of."""
    for column, value, recorded in compared:
        if value is not None and value != recorded:
            values = {**subject, "column": column, "recorded": recorded, "value": value}
            errors.append(RowError(line, column, code, values))


class _ShipmentChecker:
    """Checks shipment rows against each other and against the records, collecting the writes.

    Lookups are set-based: models, buyers and shipments of the whole file up front, units one
    chunk of rows at a time (``check_chunk``).
    """

    def __init__(self, rows: list[tuple[int, list[str]]], *, create_buyers: bool):
        self.create_buyers = create_buyers
        self.models: dict[str, int] = _lookup(
            ProductModel.objects.all(), "code", {values[6] for _, values in rows}, "id"
        )
        self.buyers: dict[str, int] = _lookup(
            Organisation.objects.all(), "code", {values[2] for _, values in rows}, "id"
        )
        self.recorded: dict[str, _RecordedShipment] = {
            pi: _RecordedShipment(*values)
            for pi, values in _lookup(
                Shipment.objects.all(),
                "pi_number",
                {values[0] for _, values in rows},
                "po_number",
                "buyer__code",
                "shipment_date",
                "delivery_date",
            ).items()
        }
        self.limits = {
            "pi_number": Shipment._meta.get_field("pi_number").max_length,
            "po_number": Shipment._meta.get_field("po_number").max_length,
            "serial_number": Unit._meta.get_field("serial_number").max_length,
        }
        self.errors: list[RowError] = []
        self.pis: dict[str, _PiRecord] = {}
        self.serial_lines: dict[str, int] = {}
        self.new_buyers: set[str] = set()
        self.fill_delivery: dict[str, date] = {}
        self.new_units: list[tuple[str, str, int, Decimal, str]] = []  # serial, PI, model, price…
        self.unchanged_units = 0

    def check_chunk(self, chunk: Sequence[tuple[int, list[str]]]) -> None:
        registered = _lookup(
            Unit.objects.all(),
            "serial_number",
            {values[5] for _, values in chunk},
            "shipment__pi_number",
            "product_model__code",
            "unit_price",
            "currency",
        )
        for line, values in chunk:
            errors: list[RowError] = []
            self._check_row(line, *values, registered=registered, errors=errors)
            self.errors.extend(errors)

    def _check_row(
        self,
        line: int,
        pi: str,
        po: str,
        buyer: str,
        shipped_text: str,
        delivered_text: str,
        serial: str,
        model_code: str,
        price_text: str,
        currency: str,
        *,
        registered: dict[str, tuple],
        errors: list[RowError],
    ) -> None:
        for column, value in (("pi_number", pi), ("po_number", po), ("serial_number", serial)):
            if not value:
                errors.append(RowError(line, column, f"{column}_missing"))
            elif len(value) > self.limits[column]:
                limit = {"limit": self.limits[column]}
                errors.append(RowError(line, column, f"{column}_too_long", limit))
        self._check_buyer(line, buyer, errors)
        shipped = _parse_date(shipped_text, line, "shipment_date", errors)
        delivered = None
        if delivered_text:
            delivered = _parse_date(delivered_text, line, "delivery_date", errors)
        if shipped and delivered and delivered < shipped:
            dates = {"delivered": delivered, "shipped": shipped}
            errors.append(RowError(line, "delivery_date", "delivery_before_shipment", dates))
        if serial in self.serial_lines:
            repeated = {"serial": serial, "first_line": self.serial_lines[serial]}
            errors.append(RowError(line, "serial_number", "serial_repeated", repeated))
        elif serial:
            self.serial_lines[serial] = line
        model_id = self.models.get(model_code)
        if not model_code:
            errors.append(RowError(line, "model_code", "model_code_missing"))
        elif model_id is None:
            errors.append(RowError(line, "model_code", "model_unknown", {"code": model_code}))
        price = _parse_price(price_text, line, errors)
        if not _CURRENCY.fullmatch(currency):
            errors.append(RowError(line, "currency", "currency_malformed", {"value": currency}))
        currency = currency.upper()

        if not any(error.column in _SHIPMENT_FIELDS for error in errors):
            self._check_shipment(line, pi, po, buyer, shipped, delivered, errors)
        if pi and serial in registered:
            self._check_registered_unit(
                line, pi, serial, model_code, price, currency, registered[serial], errors
            )
        elif not errors:
            self.new_units.append((serial, pi, model_id, price, currency))

    def _check_buyer(self, line: int, buyer: str, errors: list[RowError]) -> None:
        if not buyer:
            errors.append(RowError(line, "buyer", "buyer_missing"))
        elif buyer in self.buyers:
            return
        elif not self.create_buyers:
            errors.append(RowError(line, "buyer", "buyer_unknown", {"code": buyer}))
        elif not _ORG_CODE.fullmatch(buyer) or len(buyer) > _ORG_CODE_MAX:
            invalid = {"code": buyer, "limit": _ORG_CODE_MAX}
            errors.append(RowError(line, "buyer", "buyer_code_invalid", invalid))
        else:
            self.new_buyers.add(buyer)

    def _check_shipment(self, line, pi, po, buyer, shipped, delivered, errors) -> None:
        """One shipment per PI: the same on every row of the file and as on record."""
        first = self.pis.get(pi)
        if first is not None:
            for column, value, first_value in (
                ("po_number", po, first.po_number),
                ("buyer", buyer, first.buyer),
                ("shipment_date", shipped, first.shipment_date),
                ("delivery_date", delivered, first.delivery_date),
            ):
                if value != first_value:
                    disagrees = {
                        "pi": pi,
                        "column": column,
                        "first": first_value or "",
                        "first_line": first.line,
                        "value": value or "",
                    }
                    errors.append(RowError(line, column, "pi_disagrees", disagrees))
            return
        self.pis[pi] = _PiRecord(line, po, buyer, shipped, delivered)
        recorded = self.recorded.get(pi)
        if recorded is None:
            return
        _unlike_the_record(
            line,
            "pi_recorded",
            {"pi": pi},
            (
                ("po_number", po, recorded.po_number),
                ("buyer", buyer, recorded.buyer),
                ("shipment_date", shipped, recorded.shipment_date),
            ),
            errors,
        )
        if delivered and recorded.delivery_date is None:
            self.fill_delivery[pi] = delivered
        elif delivered and delivered != recorded.delivery_date:
            recorded_as = {"pi": pi, "recorded": recorded.delivery_date, "value": delivered}
            errors.append(RowError(line, "delivery_date", "pi_recorded_delivery", recorded_as))
        # An empty delivery date where one is recorded says nothing new: the record stands.

    def _check_registered_unit(
        self, line, pi, serial, model_code, price, currency, registered, errors
    ) -> None:
        """A serial on record must be this very unit: same PI, model, price and currency."""
        registered_pi, registered_model, registered_price, registered_currency = registered
        if registered_pi != pi:
            elsewhere = {"serial": serial, "pi": registered_pi}
            errors.append(RowError(line, "serial_number", "serial_on_other_pi", elsewhere))
            return
        _unlike_the_record(
            line,
            "serial_recorded",
            {"serial": serial},
            (
                ("model_code", model_code, registered_model),
                ("unit_price", price, registered_price),  # None: the price itself is in error
                ("currency", currency, registered_currency),
            ),
            errors,
        )
        if not errors:
            self.unchanged_units += 1


def import_shipments(
    *,
    source: Source,
    create_buyers: bool = False,
    progress: Progress | None = None,
) -> ShipmentImportResult:
    """Register shipments and their units from CSV: the records N3 notices are checked against.

    Columns ``pi_number,po_number,buyer,shipment_date,delivery_date,serial_number,model_code,
    unit_price,currency``; one row per unit; the rows of one PI form one shipment and must agree on
    PO, buyer and dates. Dates are ``YYYY-MM-DD``; ``delivery_date`` (the W1 start) may be empty.
    ``buyer`` is an organisation code; with ``create_buyers`` unknown codes become organisations
    named after their code.

    Re-importing a file changes nothing: shipments and units already on record with the same
    values are skipped. The one update allowed is filling in a delivery date that was empty;
    any other difference from the records is an error. All or nothing: raises ``ImportRejected``
    with every row-numbered error. ``progress(rows_done, rows_total)`` is called every
    ``PROGRESS_STEP`` rows while reading, outside the write transaction (other connections see
    it); checking and writing follow in one transaction.

    On PostgreSQL the file is streamed into a staging table with ``COPY``, checked there in SQL
    and written with ``INSERT … SELECT`` (``_import_shipments_staged``). Elsewhere (the
    embedded SQLite default of ``./dev up``) the rows are checked in Python with the same
    messages (``_ShipmentChecker``): slower, and the file is held in memory.

    """
    if connection.vendor == "postgresql":
        return _import_shipments_staged(
            source=source, create_buyers=create_buyers, progress=progress
        )
    rows, errors = _read_rows(source, SHIPMENT_COLUMNS)
    checker = _ShipmentChecker(rows, create_buyers=create_buyers)
    checker.errors.extend(errors)
    total = len(rows)
    reported = 0
    for chunk in _chunks(rows, PROGRESS_STEP):
        checker.check_chunk(chunk)
        reported += len(chunk)
        if progress:
            progress(reported, total)
    if checker.errors:
        raise ImportRejected(checker.errors)

    new_pis = [pi for pi in checker.pis if pi not in checker.recorded]
    result = ShipmentImportResult(
        rows=total,
        shipments_created=len(new_pis),
        shipments_updated=len(checker.fill_delivery),
        shipments_unchanged=len(checker.pis) - len(new_pis) - len(checker.fill_delivery),
        units_created=len(checker.new_units),
        units_unchanged=checker.unchanged_units,
        buyers_created=sorted(checker.new_buyers),
        delivery_dates_filled=sorted(checker.fill_delivery),
    )
    try:
        with transaction.atomic():
            _write_checked_shipments(
                pis={pi: checker.pis[pi] for pi in new_pis},
                new_buyers=result.buyers_created,
                buyers=checker.buyers,
                fill_delivery=checker.fill_delivery,
                new_units=checker.new_units,
            )
    except IntegrityError as exc:
        # Another import registered some of these PIs or serials between check and write.
        raise ImportRejected([_RACE]) from exc
    return result


def _write_checked_shipments(
    *,
    pis: dict[str, _PiRecord],
    new_buyers: list[str],
    buyers: dict[str, int],
    fill_delivery: dict[str, date],
    new_units: list[tuple[str, str, int, Decimal, str]],
) -> None:
    if new_buyers:
        Organisation.objects.bulk_create([Organisation(code=c, name=c) for c in new_buyers])
        buyers = {**buyers, **_lookup(Organisation.objects.all(), "code", new_buyers, "id")}
    Shipment.objects.bulk_create(
        [
            Shipment(
                pi_number=pi,
                po_number=record.po_number,
                buyer_id=buyers[record.buyer],
                shipment_date=record.shipment_date,
                delivery_date=record.delivery_date,
            )
            for pi, record in pis.items()
        ],
        batch_size=WRITE_BATCH,
    )
    for pi, delivered in fill_delivery.items():
        Shipment.objects.filter(pi_number=pi, delivery_date__isnull=True).update(
            delivery_date=delivered
        )
    if not new_units:
        return
    shipment_ids = _lookup(Shipment.objects.all(), "pi_number", {u[1] for u in new_units}, "id")
    Unit.objects.bulk_create(
        (
            Unit(
                serial_number=serial,
                shipment_id=shipment_ids[pi],
                product_model_id=model_id,
                unit_price=price,
                currency=currency,
            )
            for serial, pi, model_id, price, currency in new_units
        ),
        batch_size=WRITE_BATCH,
    )


# --- Shipments on PostgreSQL: COPY into a staging table, checks in SQL ---------------------------

_STAGING = "_shipment_import_rows"
_CHECKED = "_shipment_import_checked"
_STAGING_COLUMNS = ("line", "pi", "po", "buyer", "shipped", "delivered", "serial", "model")
_STAGING_COLUMNS += ("price", "currency")
_SHIPMENTS = "_shipment_import_shipments"
_KINDS = "_shipment_import_kinds"
_REGISTERED = "_shipment_import_registered"
_TEMP_TABLES = ", ".join((_STAGING, _CHECKED, _SHIPMENTS, _KINDS, _REGISTERED))
COPY_BATCH_BYTES = 1 << 20  # bytes of the file per COPY write
# What ``str.strip()`` removes, for btrim() (tests/warranty/test_import_copy.py holds them equal).
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Bytes that may be whitespace to strip at a value's edge (checked before stripping): the
# control characters anywhere, a space next to a comma or a line break. Searching 1 MB for one
# byte takes 0.01 ms, for two bytes 1.2 to 2 ms: the pairs are looked for only if a space is.
_EDGE_CONTROLS = (b"\t", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
_EDGE_SPACES = (b" ,", b", ", b" \n", b" \r", b"\n ")


def _real_date(column: str) -> str:
    """SQL: the date ``column`` names if it is YYYY-MM-DD and a real date, else NULL.

    CASE branches are evaluated in order, so no cast sees text it would refuse."""
    year, month, day = (f"substr({column}, {a}, {b})::int" for a, b in ((1, 4), (6, 2), (9, 2)))
    return (
        f"CASE WHEN {column} !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$' THEN NULL "
        f"WHEN {year} < 1 OR {month} NOT BETWEEN 1 AND 12 THEN NULL "
        f"WHEN {day} BETWEEN 1 AND extract(day FROM make_date({year}, {month}, 1) "
        f"+ interval '1 month - 1 day') THEN {column}::date END"
    )


def _text(value: str) -> str:
    """A constant of our own as an SQL literal (never user input)."""
    return "'" + value.replace("'", "''") + "'"


def _error(code: str, /, **values: str | int) -> str:
    """SQL: a row error as JSON text, its code and values (SQL expressions; ints are constants),
    as ``RowError.as_dict`` gives them: ``_checked_errors`` reads it back."""
    pairs = ", ".join(f"{_text(name)}, {value}" for name, value in values.items())
    return f"json_build_object('code', {_text(code)}, 'params', json_build_object({pairs}))::text"


def _checked_prices(values: str) -> str:
    """SQL: each distinct price text that the query ``values`` (one column) yields, with the
    error ``_parse_price`` would report (NULL if none) and its value (NULL if in error)."""
    return f"""
        SELECT v, err, CASE WHEN err IS NULL THEN round(n, 2) END AS value
        FROM (
            SELECT v, n,
                CASE WHEN v = '' THEN {_error("price_missing")}
                     WHEN n IS NULL THEN {_error("price_not_number", value="v")}
                     WHEN n <= 0 THEN {_error("price_not_positive", value="v")}
                     WHEN n >= {10**_PRICE_MAX_INTEGER_DIGITS}
                     THEN {_error("price_too_large", value="v")}
                     WHEN n <> round(n, 2) THEN {_error("price_too_precise", value="v")}
                END AS err
            FROM (
                SELECT v, CASE WHEN v ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN v::numeric END AS n
                FROM ({values}) x (v)
            ) numbers
        ) checked_prices"""


def _checked_sql(*, create_buyers: bool) -> str:
    """One row per staged row: its parsed values, what is on record, and every error (the
    JSON of its code and values, as ``RowError.as_dict`` has them).

    The errors are those of ``_ShipmentChecker`` (the SQLite path), code for code and value for
    value; the columns ``e01``…``e19`` are in the order that checker reports a row's errors."""
    fields = {"pi": "pi_number", "po": "po_number", "serial": "serial_number"}

    def required(column: str) -> str:
        name = fields[column]
        limit = (Unit if column == "serial" else Shipment)._meta.get_field(name).max_length
        return (
            f"CASE WHEN {column} = '' THEN {_error(f'{name}_missing')} "
            f"WHEN char_length({column}) > {limit} "
            f"THEN {_error(f'{name}_too_long', limit=limit)} END"
        )

    if create_buyers:
        invalid = _error("buyer_code_invalid", code="v", limit=_ORG_CODE_MAX)
        unknown_buyer = (
            f"WHEN v !~ '^[-a-zA-Z0-9_]+$' OR char_length(v) > {_ORG_CODE_MAX} THEN {invalid}"
        )
    else:
        unknown_buyer = f"ELSE {_error('buyer_unknown', code='v')}"
    units, shipments, models, organisations = (
        connection.ops.quote_name(model._meta.db_table)
        for model in (Unit, Shipment, ProductModel, Organisation)
    )

    def disagrees(column: str, mine: str, first: str) -> str:
        return _error(
            "pi_disagrees",
            pi="pi",
            column=_text(column),
            first=f"coalesce({first}, '')",
            first_line="first_line",
            value=f"coalesce({mine}, '')",
        )

    def recorded(column: str, value: str) -> str:  # rec_<value>: what is on record
        on_record = f"rec_{value}"
        if value == "shipped":  # a date: as Python writes it, whatever the server's DateStyle
            on_record = f"to_char({on_record}, 'YYYY-MM-DD')"
        return _error("pi_recorded", pi="pi", column=_text(column), recorded=on_record, value=value)

    agree = " ".join(
        f"""CASE WHEN eligible AND first_line < line AND {mine} IS DISTINCT FROM {first}
            THEN {disagrees(column, mine, first)}
            WHEN eligible AND first_line = line AND rec_id IS NOT NULL AND {check}
            THEN {on_record} END AS e{number},"""
        for number, column, mine, first, check, on_record in (
            (12, "po_number", "po", "first_po", "po <> rec_po", recorded("po_number", "po")),
            (13, "buyer", "buyer", "first_buyer", "buyer <> rec_buyer", recorded("buyer", "buyer")),
            (
                14,
                "shipment_date",
                "shipped",
                "first_shipped",
                "shipped_d <> rec_shipped",
                recorded("shipment_date", "shipped"),
            ),
            (
                15,
                "delivery_date",
                "nullif(delivered, '')",
                "first_delivered",
                "delivered_d <> rec_delivered",
                _error(
                    "pi_recorded_delivery",
                    pi="pi",
                    recorded="to_char(rec_delivered, 'YYYY-MM-DD')",
                    value="delivered",
                ),
            ),
        )
    )
    delivery_before_shipment = _error(
        "delivery_before_shipment", delivered="r.delivered", shipped="r.shipped"
    )
    serial_repeated = _error("serial_repeated", serial="serial", first_line="serial_first")
    serial_elsewhere = _error("serial_on_other_pi", serial="serial", pi="reg_pi")

    def registered(column: str, on_record: str, value: str) -> str:  # reg_<on_record>
        return _error(
            "serial_recorded",
            serial="serial",
            column=_text(column),
            recorded=f"reg_{on_record}::text",
            value=f"{value}::text",
        )

    return f"""
    CREATE TEMP TABLE {_CHECKED} AS
    -- Values repeat (dates and buyer per shipment, a few models, currencies and prices):
    -- each distinct value is parsed and worded once, then joined to its rows.
    WITH dates AS MATERIALIZED (
        SELECT v, d,
            CASE WHEN v !~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'
                 THEN {_error("date_malformed", value="v")}
                 WHEN d IS NULL THEN {_error("date_unreal", value="v")} END AS err
        FROM (
            SELECT v, {_real_date("v")} AS d
            FROM (SELECT shipped FROM {_STAGING} UNION SELECT delivered FROM {_STAGING}) x (v)
        ) parsed_dates
    ), prices AS MATERIALIZED ({_checked_prices(f"SELECT DISTINCT price FROM {_STAGING}")}
    ), currencies AS MATERIALIZED (
        SELECT v, upper(v) AS cur,
            CASE WHEN v !~ '^[A-Za-z]{{3}}$'
                 THEN {_error("currency_malformed", value="v")} END AS err
        FROM (SELECT DISTINCT currency FROM {_STAGING}) x (v)
    ), buyers AS MATERIALIZED (
        SELECT v, b.id AS buyer_id,
            CASE WHEN v = '' THEN {_error("buyer_missing")}
                 WHEN b.id IS NOT NULL THEN NULL {unknown_buyer} END AS err
        FROM (SELECT DISTINCT buyer FROM {_STAGING}) x (v)
        LEFT JOIN {organisations} b ON b.code = x.v
    ), products AS MATERIALIZED (
        SELECT v, m.id AS model_id,
            CASE WHEN v = '' THEN {_error("model_code_missing")}
                 WHEN m.id IS NULL THEN {_error("model_unknown", code="v")} END AS err
        FROM (SELECT DISTINCT model FROM {_STAGING}) x (v)
        LEFT JOIN {models} m ON m.code = x.v
    ), rowwise AS MATERIALIZED (
        SELECT r.*, sd.d AS shipped_d, CASE WHEN r.delivered <> '' THEN dd.d END AS delivered_d,
            b.buyer_id, pm.model_id, pr.value AS price_value, cu.cur,
            {required("pi")} AS e01,
            {required("po")} AS e02,
            {required("serial")} AS e03,
            b.err AS e04,
            sd.err AS e05,
            CASE WHEN r.delivered <> '' THEN dd.err END AS e06,
            CASE WHEN dd.d < sd.d AND r.delivered <> '' THEN {delivery_before_shipment} END AS e07,
            pm.err AS e09,
            pr.err AS e10,
            cu.err AS e11
        FROM {_STAGING} r
        JOIN dates sd ON sd.v = r.shipped
        JOIN dates dd ON dd.v = r.delivered
        JOIN prices pr ON pr.v = r.price
        JOIN currencies cu ON cu.v = r.currency
        JOIN buyers b ON b.v = r.buyer
        JOIN products pm ON pm.v = r.model
    ), ruled AS MATERIALIZED (
        SELECT w.*,
            (e01 IS NULL AND e02 IS NULL AND e04 IS NULL AND e05 IS NULL AND e06 IS NULL
             AND e07 IS NULL) AS eligible,
            CASE WHEN serial <> '' THEN min(line) OVER (PARTITION BY serial) END AS serial_first
        FROM rowwise w
    ), windowed AS (
        SELECT x.*,
            first_value(line) OVER pi_rows AS first_line,
            first_value(po) OVER pi_rows AS first_po,
            first_value(buyer) OVER pi_rows AS first_buyer,
            first_value(shipped) OVER pi_rows AS first_shipped,
            first_value(nullif(delivered, '')) OVER pi_rows AS first_delivered,
            s.id AS rec_id, s.po_number AS rec_po, sb.code AS rec_buyer,
            s.shipment_date AS rec_shipped, s.delivery_date AS rec_delivered,
            u.id AS reg_id, us.pi_number AS reg_pi, um.code AS reg_model,
            u.unit_price AS reg_price, u.currency AS reg_currency
        FROM ruled x
        LEFT JOIN {shipments} s ON s.pi_number = x.pi
        LEFT JOIN {organisations} sb ON sb.id = s.buyer_id
        LEFT JOIN {units} u ON u.serial_number = x.serial AND x.pi <> ''
        LEFT JOIN {shipments} us ON us.id = u.shipment_id
        LEFT JOIN {models} um ON um.id = u.product_model_id
        WINDOW pi_rows AS (PARTITION BY pi ORDER BY NOT eligible, line)
    ), messages AS (
        SELECT y.*,
            CASE WHEN serial_first < line THEN {serial_repeated} END AS e08,
            {agree}
            CASE WHEN reg_id IS NOT NULL AND reg_pi <> pi THEN {serial_elsewhere} END AS e16,
            CASE WHEN reg_id IS NOT NULL AND reg_pi = pi AND model <> reg_model
                 THEN {registered("model_code", "model", "model")} END AS e17,
            CASE WHEN reg_id IS NOT NULL AND reg_pi = pi AND price_value <> reg_price
                 THEN {registered("unit_price", "price", "price_value")} END AS e18,
            CASE WHEN reg_id IS NOT NULL AND reg_pi = pi AND cur <> reg_currency
                 THEN {registered("currency", "currency", "cur")} END AS e19
        FROM windowed y
    )
    SELECT line, pi, po, buyer, buyer_id, shipped_d, delivered_d, serial, model_id,
        price_value, cur, first_line, rec_id, rec_delivered, reg_id,
        e01, e02, e03, e04, e05, e06, e07, e08, e09, e10, e11, e12, e13, e14, e15,
        e16, e17, e18, e19,
        num_nonnulls(e01, e02, e03, e04, e05, e06, e07, e08, e09, e10, e11, e12, e13, e14,
                     e15, e16, e17, e18, e19) > 0 AS has_error
    FROM messages
    """


_ERROR_COLUMNS = {
    "e01": "pi_number",
    "e02": "po_number",
    "e03": "serial_number",
    "e04": "buyer",
    "e05": "shipment_date",
    "e06": "delivery_date",
    "e07": "delivery_date",
    "e08": "serial_number",
    "e09": "model_code",
    "e10": "unit_price",
    "e11": "currency",
    "e12": "po_number",
    "e13": "buyer",
    "e14": "shipment_date",
    "e15": "delivery_date",
    "e16": "serial_number",
    "e17": "model_code",
    "e18": "unit_price",
    "e19": "currency",
}


class _NotPlain(Exception):
    """The file needs the row-by-row reader: quoted values, blank lines, bytes COPY treats
    specially. Raised before the bytes reach COPY (which then fails and is rolled back)."""


@contextmanager
def _binary_stream(source: Source) -> Iterator[IO[bytes] | None]:
    """The file's bytes from a path or a binary file; None for a text stream."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield stream
    elif isinstance(source, io.TextIOBase):
        yield None
    else:
        yield source  # type: ignore[misc]


def _line_batches(stream: IO[bytes], size: int | None) -> Iterator[list[bytes]]:
    """The stream's lines, about ``COPY_BATCH_BYTES`` at a time, or exactly ``size`` at a time."""
    pending: list[bytes] = []
    while lines := stream.readlines(COPY_BATCH_BYTES):
        if size is None:
            yield lines
            continue
        pending.extend(lines)
        while len(pending) >= size:
            yield pending[:size]
            del pending[:size]
    if pending:
        yield pending


class _PlainBatches:
    """The data lines of a plain file, joined about ``COPY_BATCH_BYTES`` (or exactly ``size``
    lines) at a time, as (bytes, lines); raises ``_NotPlain`` at the first batch that needs
    the row-by-row reader. Notes whether some value may have whitespace at its edge
    (``edge_space``) and whether there may be rows of empty cells (``empty_cells``)."""

    def __init__(self, stream: IO[bytes], size: int | None, columns: Sequence[str]):
        self.stream, self.size, self.width = stream, size, len(columns)
        self.edge_space = self.empty_cells = False

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        blank_tail = False  # blank lines seen; only more blank lines may follow
        for lines in _line_batches(self.stream, self.size):
            content = len(lines)
            while content and not lines[content - 1].strip():
                content -= 1  # blank lines at the end of the file: the reader skips them
            if content and blank_tail:
                raise _NotPlain  # blank lines before a data row
            blank_tail = blank_tail or content < len(lines)
            del lines[content:]
            if not lines:
                continue
            data = b"".join(lines)
            if b'"' in data or b"\\" in data:
                raise _NotPlain
            # A line of empty cells is width - 1 commas (or spaces, seen below): no longer.
            shortest = min(map(len, lines))
            if shortest <= 2 and (b"\n" in lines or b"\r\n" in lines):
                raise _NotPlain  # a blank line before a data row
            self.empty_cells = self.empty_cells or shortest <= self.width + 1
            self.edge_space = (
                self.edge_space
                or not data.isascii()
                or any(part in data for part in _EDGE_CONTROLS)
                or b" " in data
                and (
                    data.startswith(b" ")
                    or data.endswith(b" ")
                    or any(part in data for part in _EDGE_SPACES)
                )
            )
            yield data, len(lines)


def _copy_file(cursor, source: Source, progress: Progress | None) -> int | None:
    """The common case: the file's bytes straight into COPY, no Python per row.

    For a plain file (no quotes or backslashes, no blank line before the last data row, every
    row as wide as the header): the staging table numbers the lines (identity from 2, header =
    line 1), COPY parses the values, values are stripped in SQL only if some value may have
    whitespace at its edge, rows of empty cells are removed as the reader skips them. Returns
    the number of data rows, or None when the file needs the row-by-row reader (anything
    COPY refuses, such as a short row or text that is not UTF-8, also ends here); the staging
    table is then empty again. Each COPY is its own transaction (or savepoint), so a refusal
    rolls back nothing of the caller's; with ``progress`` one COPY per ``PROGRESS_STEP`` rows,
    committed when the caller is not in a transaction (the admin's status page sees it)."""
    with _binary_stream(source) as stream:
        if stream is None:
            return None
        header = stream.readline().removeprefix(codecs.BOM_UTF8)
        try:
            names = next(csv.reader([header.decode("utf-8")]))
            positions = _header_positions(names, SHIPMENT_COLUMNS)
        except (UnicodeDecodeError, csv.Error, StopIteration, _Unreadable):
            return None  # the reader words the error
        if b'"' in header or not header.endswith(b"\n"):
            return None
        columns = [f"spare_{n}" for n in range(len(names))]  # unnamed columns: kept, unused
        for name, position in zip(_STAGING_COLUMNS[1:], positions, strict=True):
            columns[position] = name
        for name in columns:
            if name.startswith("spare_"):
                cursor.execute(f"ALTER TABLE {_STAGING} ADD COLUMN {name} text")
        total = 0
        if progress is not None:
            total = sum(
                len([line for line in lines if line.strip()])
                for lines in _line_batches(stream, None)
            )
            stream.seek(0)
            stream.readline()
        copy_sql = (
            f"COPY {_STAGING} ({', '.join(columns)}) FROM STDIN "
            f"(FORMAT csv, FORCE_NOT_NULL ({', '.join(columns)}))"
        )
        done = 0
        plain = _PlainBatches(stream, PROGRESS_STEP if progress is not None else None, columns)
        # One COPY for the whole file (a COPY a batch: 0.5 s more at 1,000,000 rows); with
        # progress one a batch, each committed on its own.
        groups = ([batch] for batch in plain) if progress is not None else [plain]
        try:
            for group in groups:
                with (
                    transaction.atomic(),
                    connection.wrap_database_errors,
                    cursor.cursor.copy(copy_sql) as copy,
                ):
                    for data, count in group:
                        copy.write(data)
                        done += count
                if progress is not None:
                    progress(done, total)
        except (_NotPlain, DatabaseError):
            cursor.execute(f"TRUNCATE {_STAGING} RESTART IDENTITY")
            return None
    if plain.edge_space:
        cursor.execute(
            f"UPDATE {_STAGING} SET "
            + ", ".join(f"{name} = btrim({name}, %s)" for name in columns),
            [_WHITESPACE] * len(columns),
        )
    if plain.edge_space or plain.empty_cells:
        cursor.execute(
            f"DELETE FROM {_STAGING} WHERE " + " AND ".join(f"{name} = ''" for name in columns)
        )
        done -= cursor.rowcount
    return done


def _stage_rows(cursor, source: Source, errors: list[RowError], progress: Progress | None) -> int:
    """COPY the file's rows into the staging table, streamed: the file is never all in memory.

    Plain files go straight to COPY (``_copy_file``); others are read here row by row, with
    the reader's row-numbered errors. Returns the number of data rows. With ``progress``, the
    rows are counted first (the total is shown from the start) and reported between COPY
    statements of ``PROGRESS_STEP`` rows, each committed on its own when the caller is not in
    a transaction (the admin's status page reads them through another connection)."""
    copied = _copy_file(cursor, source, progress)
    if copied is not None:
        return copied
    _rewind(source)
    total = 0
    if progress is not None:
        total = sum(1 for _row in _iter_rows(source, SHIPMENT_COLUMNS, []))
        _rewind(source)
    batch = PROGRESS_STEP if progress is not None else None
    # CSV through csv.writer (C) in 1 MB writes: several times faster than one write_row a row.
    # FORCE_NOT_NULL: an empty value is '' (as the checks expect), never NULL.
    copy_sql = (
        f"COPY {_STAGING} ({', '.join(_STAGING_COLUMNS)}) FROM STDIN "
        f"(FORMAT csv, FORCE_NOT_NULL ({', '.join(_STAGING_COLUMNS[1:])}))"
    )
    rows = _iter_rows(source, SHIPMENT_COLUMNS, errors)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    done = 0
    unreadable = None
    while True:
        with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
            staged = 0
            try:
                for line, values in rows:
                    values.insert(0, line)
                    writer.writerow(values)
                    staged += 1
                    if buffer.tell() > 1 << 20:
                        copy.write(buffer.getvalue())
                        buffer.seek(0)
                        buffer.truncate()
                    if batch is not None and staged == batch:
                        break
            except _Unreadable as exc:
                # End the COPY normally (a failed COPY would abort the caller's transaction);
                # the staged rows are dropped with the table.
                unreadable = exc
            copy.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
        if unreadable is not None:
            raise unreadable
        done += staged
        if progress is not None and staged:
            progress(done, total)
        if batch is None or staged < batch:
            return done


def _rewind(source: Source) -> None:
    if not isinstance(source, str | os.PathLike):
        source.seek(0)


def _import_shipments_staged(
    *, source: Source, create_buyers: bool, progress: Progress | None
) -> ShipmentImportResult:
    """``import_shipments`` on PostgreSQL: COPY, checks in a few set-based queries, INSERT …
    SELECT (bench/import_shipments.py times it beside a plain COPY of the same file).

    The checks first group the rows (one row per shipment, one per model, price and currency)
    and look up what is on record; a file that passes them is written from those tables. Only
    a file that fails them is checked row by row in SQL (``_checked_sql``) for its messages."""
    errors = _FirstErrors()  # the reader's own (rows of the wrong width)
    with connection.cursor() as cursor:
        # Room for the staged rows in this session's temporary buffers (the default, 8 MB,
        # spills them to disk); it only takes effect before the session's first temporary table.
        cursor.execute("SET temp_buffers = '256MB'")
        cursor.execute(f"DROP TABLE IF EXISTS {_TEMP_TABLES}")
        cursor.execute(
            f"CREATE TEMP TABLE {_STAGING} "
            # The identity numbers the lines (header = 1); CACHE: nextval() a row costs a
            # quarter of the COPY's time otherwise (the numbers stay consecutive: one session).
            "(line integer GENERATED BY DEFAULT AS IDENTITY (START WITH 2 CACHE 100000), "
            + ", ".join(f"{name} text" for name in _STAGING_COLUMNS[1:])
            + ")"
        )
        try:
            try:
                total = _stage_rows(cursor, source, errors, progress)
            except _Unreadable as unreadable:
                raise ImportRejected([unreadable.error]) from None
            if not total and not errors:
                raise ImportRejected([_NO_DATA_ROWS])
            with transaction.atomic():
                # Temporary tables get no statistics from autovacuum: without them the planner
                # joins 100,000 rows by nested loops. A small sample (3,000 rows, not 30,000)
                # gives it the row count and the rough spread it needs, in a tenth of the time.
                cursor.execute("SET LOCAL default_statistics_target = 10")
                cursor.execute(f"ANALYZE {_STAGING}")
                cursor.execute("SET LOCAL jit = off")  # compiling costs more than it saves here
                cursor.execute("SET LOCAL work_mem = '256MB'")  # groupings and sorts in memory
                for statement in _grouped_sql():
                    cursor.execute(statement)
                cursor.execute(f"ANALYZE {_SHIPMENTS}, {_KINDS}, {_REGISTERED}")
                if errors or not _passes_checks(cursor, create_buyers=create_buyers):
                    cursor.execute(_checked_sql(create_buyers=create_buyers))
                    listed, total = _checked_errors(cursor)
                    if errors or listed:
                        raise ImportRejected([*errors, *listed], total=errors.total + total)
                result = _staged_result(cursor, total)
                _write_checked(cursor, result, create_buyers=create_buyers)
            return result
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {_TEMP_TABLES}")


def _grouped_sql() -> list[str]:
    """The staged rows grouped and looked up: one row per shipment as the file gives it (a PI
    whose rows disagree has several), one per model, price and currency, and the file's rows
    whose serial is on record. All small but the last on a re-import."""
    serial_max = Unit._meta.get_field("serial_number").max_length
    units, shipments, models, organisations = (
        connection.ops.quote_name(model._meta.db_table)
        for model in (Unit, Shipment, ProductModel, Organisation)
    )
    return [
        f"""
        CREATE TEMP TABLE {_SHIPMENTS} AS
        SELECT g.*, b.id AS buyer_id, s.id AS rec_id, s.po_number AS rec_po,
            sb.code AS rec_buyer, s.shipment_date AS rec_shipped,
            s.delivery_date AS rec_delivered, s.id AS shipment_id
        FROM (
            SELECT pi, po, buyer, shipped, delivered, min(line) AS first_line,
                {_real_date("shipped")} AS shipped_d,
                CASE WHEN delivered <> '' THEN {_real_date("delivered")} END AS delivered_d
            FROM {_STAGING}
            GROUP BY pi, po, buyer, shipped, delivered
        ) g
        LEFT JOIN {organisations} b ON b.code = g.buyer
        LEFT JOIN {shipments} s ON s.pi_number = g.pi
        LEFT JOIN {organisations} sb ON sb.id = s.buyer_id
        """,
        f"""
        CREATE TEMP TABLE {_KINDS} AS
        WITH k AS MATERIALIZED (
            -- bad_serials: the serial checks ride along on this scan of every row.
            SELECT model, price, currency,
                bool_or(serial = '' OR char_length(serial) > {serial_max}) AS bad_serials
            FROM {_STAGING} GROUP BY model, price, currency
        )
        SELECT k.*, m.id AS model_id, p.value AS price_value, upper(k.currency) AS cur,
            (m.id IS NOT NULL AND p.err IS NULL AND k.currency ~ '^[A-Za-z]{{3}}$') AS ok
        FROM k
        JOIN ({_checked_prices("SELECT DISTINCT price FROM k")}) p ON p.v = k.price
        LEFT JOIN {models} m ON m.code = k.model
        """,
        f"""
        CREATE TEMP TABLE {_REGISTERED} AS
        -- Ids, not codes, of the unit's shipment and model: compared with the file's through
        -- the grouped tables (a million rows joined to two more tables cost 0.4 s).
        SELECT r.line, r.pi, r.model, r.price, r.currency, u.id AS unit_id,
            u.shipment_id AS reg_shipment_id, u.product_model_id AS reg_model_id,
            u.unit_price AS reg_price, u.currency AS reg_currency
        FROM {_STAGING} r
        JOIN {units} u ON u.serial_number = r.serial
        """,
    ]


def _passes_checks(cursor, *, create_buyers: bool) -> bool:
    """Whether the grouped rows pass every check of ``_checked_sql``: that query finds no
    error in a file that passes these (they are as strict or stricter), but for one check
    left to the database. A serial repeated among the new units of the file is refused by
    the unique constraint on serial numbers while they are written (``_write_checked``):
    grouping a million serials here would cost more than the rest of the checks together.
    Repeated serials that are on record are checked here (they are not written)."""
    limit = {
        "pi": Shipment._meta.get_field("pi_number").max_length,
        "po": Shipment._meta.get_field("po_number").max_length,
    }
    uncreatable = "TRUE"
    if create_buyers:
        uncreatable = f"(buyer !~ '^[-a-zA-Z0-9_]+$' OR char_length(buyer) > {_ORG_CODE_MAX})"
    cursor.execute(
        f"""
        SELECT NOT EXISTS (
                SELECT FROM {_SHIPMENTS}
                WHERE pi = '' OR char_length(pi) > {limit["pi"]}
                    OR po = '' OR char_length(po) > {limit["po"]}
                    OR shipped_d IS NULL
                    OR delivered <> '' AND (delivered_d IS NULL OR delivered_d < shipped_d)
                    OR buyer = '' OR buyer_id IS NULL AND {uncreatable}
                    OR rec_id IS NOT NULL AND (po <> rec_po OR buyer <> rec_buyer
                        OR shipped_d <> rec_shipped OR delivered_d <> rec_delivered)
            )
            AND (SELECT count(*) = count(DISTINCT pi) FROM {_SHIPMENTS})
            AND NOT EXISTS (SELECT FROM {_KINDS} WHERE NOT ok OR bad_serials)
            AND NOT EXISTS (SELECT FROM {_REGISTERED} GROUP BY unit_id HAVING count(*) > 1)
            -- count(*), not NOT EXISTS: planned for the first row, this join of up to a
            -- million rows became nested loops (191 s at 1,000,000).
            AND (
                SELECT count(*) = 0
                FROM {_REGISTERED} g JOIN {_KINDS} k USING (model, price, currency)
                LEFT JOIN {_SHIPMENTS} c ON c.pi = g.pi
                WHERE c.rec_id IS DISTINCT FROM g.reg_shipment_id
                    OR k.model_id IS DISTINCT FROM g.reg_model_id
                    OR g.reg_price <> k.price_value OR g.reg_currency <> k.cur
            )
        """
    )
    return cursor.fetchone()[0]


def _write_checked(cursor, result: ShipmentImportResult, *, create_buyers: bool) -> None:
    """Write a file that passed ``_passes_checks``; if the database refuses it (a serial
    repeated in the file, or shipments or serials registered by another import since the
    check), the rows are checked one by one for the messages and nothing is written."""
    try:
        with transaction.atomic():  # a savepoint: the checks below run in the transaction
            _write_shipments(
                cursor=cursor,
                new_buyers=result.buyers_created,
                fill_delivery=bool(result.delivery_dates_filled),
                new_units=bool(result.units_created),
                registered_units=bool(result.units_unchanged),
            )
    except IntegrityError as exc:
        cursor.execute(_checked_sql(create_buyers=create_buyers))
        # No row error: another import registered some of these PIs or serials meanwhile.
        listed, total = _checked_errors(cursor)
        raise ImportRejected(listed or [_RACE], total=total or 1) from exc


def _checked_errors(cursor) -> tuple[list[RowError], int]:
    """The first ``MAX_LISTED_ERRORS`` errors of the checked rows, in line order (each row in
    error has one or more), and how many there are in all."""
    names = list(_ERROR_COLUMNS)
    cursor.execute(
        f"SELECT coalesce(sum(num_nonnulls({', '.join(names)})), 0) FROM {_CHECKED} WHERE has_error"
    )
    (total,) = cursor.fetchone()
    cursor.execute(
        f"SELECT line, {', '.join(names)} FROM {_CHECKED} WHERE has_error ORDER BY line "
        f"LIMIT {MAX_LISTED_ERRORS}"
    )
    listed = []
    for line, *found in cursor.fetchall():
        for name, error in zip(names, found, strict=True):
            if error is not None:
                error = json.loads(error)
                listed.append(RowError(line, _ERROR_COLUMNS[name], error["code"], error["params"]))
    return listed[:MAX_LISTED_ERRORS], int(total)


def _staged_result(cursor, total: int) -> ShipmentImportResult:
    cursor.execute(
        f"""
        SELECT
            count(*) FILTER (WHERE rec_id IS NULL),
            count(*),
            (SELECT count(*) FROM {_REGISTERED}),
            array(SELECT DISTINCT buyer COLLATE "C" FROM {_SHIPMENTS} WHERE buyer_id IS NULL
                  ORDER BY 1),
            array(SELECT pi COLLATE "C" FROM {_SHIPMENTS} WHERE rec_id IS NOT NULL
                  AND rec_delivered IS NULL AND delivered_d IS NOT NULL ORDER BY 1)
        FROM {_SHIPMENTS}
        """
    )
    created, pis, units_unchanged, buyers, filled = cursor.fetchone()
    return ShipmentImportResult(
        rows=total,
        shipments_created=created,
        shipments_updated=len(filled),
        shipments_unchanged=pis - created - len(filled),
        units_created=total - units_unchanged,
        units_unchanged=units_unchanged,
        buyers_created=buyers,
        delivery_dates_filled=filled,
    )


def _write_shipments(
    *,
    cursor,
    new_buyers: list[str],
    fill_delivery: bool,
    new_units: bool,
    registered_units: bool = True,
) -> None:
    """Write what the checked file holds: new buyers, new shipments, filled-in delivery
    dates, new units; INSERT … SELECT inside the caller's transaction. Without new units (a
    re-import) the units' INSERT is skipped: finding that no row is new costs a join of them
    all (0.66 s for 1,000,000). Without units on record (a first import) the INSERT leaves
    out the anti-join that skips them (the planner runs it as a nested loop over the empty
    table: 0.7 s of EXPLAIN ANALYZE at 1,000,000 rows)."""
    if new_buyers:
        Organisation.objects.bulk_create([Organisation(code=c, name=c) for c in new_buyers])
    shipments, units, organisations = (
        connection.ops.quote_name(model._meta.db_table) for model in (Shipment, Unit, Organisation)
    )
    cursor.execute(
        f"""
        WITH created AS (
            INSERT INTO {shipments}
                (pi_number, po_number, buyer_id, shipment_date, delivery_date, created_at)
            SELECT c.pi, c.po, o.id, c.shipped_d, c.delivered_d, %s
            FROM {_SHIPMENTS} c JOIN {organisations} o ON o.code = c.buyer
            WHERE c.rec_id IS NULL
            RETURNING id, pi_number
        )
        UPDATE {_SHIPMENTS} c SET shipment_id = created.id
        FROM created WHERE created.pi_number = c.pi
        """,
        [timezone.now()],
    )
    if fill_delivery:
        cursor.execute(
            f"""
        UPDATE {shipments} s SET delivery_date = c.delivered_d
        FROM {_SHIPMENTS} c
        WHERE c.rec_id = s.id AND s.delivery_date IS NULL AND c.delivered_d IS NOT NULL
        """
        )
    if not new_units:
        return
    # The checks passed: every price is a plain positive decimal of at most 2 places and every
    # model is on record, so the row's own text gives the values (a join on the one model
    # column instead of the kinds' three: this INSERT took 4.8 s instead of 7.2 s for
    # 1,000,000 rows in one profile).
    price = Unit._meta.get_field("unit_price")
    cursor.execute(
        f"""
        INSERT INTO {units} (serial_number, shipment_id, product_model_id, unit_price, currency)
        SELECT r.serial, c.shipment_id, m.model_id,
            r.price::numeric({price.max_digits}, {price.decimal_places}),
            upper(r.currency COLLATE "C")  -- three ASCII letters (checked): no locale needed
        FROM {_STAGING} r
        JOIN (SELECT DISTINCT model, model_id FROM {_KINDS}) m ON m.model = r.model
        JOIN {_SHIPMENTS} c ON c.pi = r.pi
        """
        + (
            f"WHERE NOT EXISTS (SELECT FROM {_REGISTERED} g WHERE g.line = r.line)"
            if registered_units
            else ""
        )
    )


# --- Background imports from the admin --------------------------------------------------------


def create_shipment_import(
    *, upload: File, uploaded_by, create_buyers: bool, rows_total: int
) -> ShipmentImport:
    """Store an uploaded shipment CSV as a queued import (``tasks.queue_shipment_import`` has a
    worker run it). This module knows nothing of Celery: the task module imports it."""
    job = ShipmentImport(
        file_name=os.path.basename(upload.name or "upload.csv")[:255],
        uploaded_by=uploaded_by,
        create_buyers=create_buyers,
        rows_total=rows_total,
    )
    job.file.save("upload.csv", upload, save=False)  # the stored name is random (upload_to)
    job.save()
    return job


def run_queued_shipment_import(*, import_id: int) -> None:
    """Run a queued import; safe to run twice: a finished import is left as it is.

    A run interrupted mid-way (worker lost, the task redelivered) starts again from the top; that
    is safe because the import itself is all or nothing and re-importing changes nothing.
    """
    claimed = ShipmentImport.objects.filter(
        pk=import_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, started_at=timezone.now(), rows_done=0)
    if not claimed:
        return
    job = ShipmentImport.objects.get(pk=import_id)
    running = ShipmentImport.objects.filter(pk=import_id, status=ImportStatus.RUNNING)

    def progress(done: int, total: int) -> None:
        # Called while checking, outside the write transaction: visible to the status page.
        running.update(rows_done=done, rows_total=total)

    try:
        # A local copy first: a storage's own file object may not read as a file does (S3's
        # readlines() takes no size hint), and the import reads the file more than once.
        with job.file.open("rb") as stored, tempfile.TemporaryFile() as local:
            shutil.copyfileobj(stored, local, COPY_BATCH_BYTES)
            local.seek(0)
            result = import_shipments(
                source=local, create_buyers=job.create_buyers, progress=progress
            )
    except ImportRejected as exc:
        running.update(
            status=ImportStatus.FAILED,
            errors=[error.as_dict() for error in exc.errors],
            counts={"errors": exc.total},
            finished_at=timezone.now(),
        )
    except Exception:
        running.update(status=ImportStatus.FAILED, finished_at=timezone.now())
        raise
    else:
        running.update(
            status=ImportStatus.DONE,
            rows_done=result.rows,
            rows_total=result.rows,
            counts=result.counts(),
            finished_at=timezone.now(),
        )


def mark_import_published(import_id: int) -> None:
    """Its task was handed to the broker just now."""
    ShipmentImport.objects.filter(pk=import_id).update(published_at=timezone.now())


def imports_to_resume(*, now=None) -> list[int]:
    """The background imports no worker has: queued and never handed to the broker, or handed
    over longer ago than ``RMA_IMPORT_REPUBLISH_AFTER`` (the broker lost it); running for
    longer than ``RMA_IMPORT_STALLED_AFTER`` (its worker died and the broker lost its message;
    a dead worker's message alone comes back by itself, acks_late). An import just uploaded is
    left to its own hand-over for a minute."""
    now = now or timezone.now()
    republish = now - timedelta(seconds=settings.RMA_IMPORT_REPUBLISH_AFTER)
    stalled = now - timedelta(seconds=settings.RMA_IMPORT_STALLED_AFTER)
    waiting = Q(status=ImportStatus.QUEUED, created_at__lt=now - timedelta(minutes=1)) & (
        Q(published_at__isnull=True) | Q(published_at__lt=republish)
    )
    running = Q(status=ImportStatus.RUNNING, started_at__lt=stalled)
    return list(
        ShipmentImport.objects.filter(waiting | running).order_by("pk").values_list("pk", flat=True)
    )


def import_outcome(job: ShipmentImport) -> str:
    """What a background import came to, in the active language ("" while it runs)."""
    if job.status == ImportStatus.DONE:
        return import_messages.shipment_summary(job.counts)
    if job.status == ImportStatus.FAILED:
        # A rejected file has its errors; an import that stopped on a fault has none.
        if not job.errors:
            return import_messages.stopped()
        return import_messages.rejected(import_error_total(job), listed=len(job.errors))
    return ""


def import_error_total(job: ShipmentImport) -> int:
    """How many errors a background import's file had (``job.errors`` holds the first ones)."""
    return job.counts.get("errors", len(job.errors))


def import_errors(job: ShipmentImport, limit: int | None = None) -> list[RowError]:
    """A background import's errors (the first ``limit``), worded in the active language."""
    return [RowError.from_dict(error) for error in job.errors[:limit]]
