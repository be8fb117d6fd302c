"""What the CSV imports say, in the reader's language (English and Korean).

An import's row error is a code and the values it names (``RowError``), never finished prose:
the Python checker (SQLite) and the SQL checker (PostgreSQL) both give codes and values, and
the text is worded when it is shown: in the admin for the clerk who reads it (a background
import's errors are stored as codes and worded again on its status page), on the command line
in the server's language. ``MESSAGES`` holds every wording; the catalogue test holds each to a
Korean translation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _


def _header(params: Mapping[str, Any]) -> str:
    problems = [
        template % {"names": ", ".join(params[key])}
        for key, template in (
            ("missing", gettext("missing %(names)s")),
            ("unexpected", gettext("unexpected %(names)s")),
            ("repeated", gettext("repeated %(names)s")),
        )
        if params.get(key)
    ]
    return gettext("The header must name the columns %(columns)s (%(problems)s).") % {
        "columns": params["columns"],
        "problems": "; ".join(problems),
    }


MESSAGES: dict[str, Any] = {
    # The file as a whole.
    "header": _header,
    "file_empty": _("The file is empty."),
    "no_data_rows": _("The file has a header but no data rows."),
    "not_utf8": _("The file is not UTF-8 text (save it as CSV UTF-8)."),
    "not_csv": _("The file is not readable as CSV (%(reason)s)."),
    "wrong_width": _("Expected %(expected)s values, found %(found)s."),
    "import_race": _(
        "Another import registered some of these shipments or serial numbers while this file "
        "was being checked; nothing was imported. Import it again."
    ),
    # Product models.
    "model_code_missing": _("The model code is missing."),
    "model_code_too_long": _("The model code is longer than %(limit)s."),
    "model_listed_twice": _("Model %(code)s is listed twice (line %(first_line)s)."),
    "name_missing": _("The name is missing."),
    "name_too_long": _("The name is longer than %(limit)s."),
    "not_boolean": _("Write true or false, not '%(value)s'."),
    "component_malformed": _("Component '%(item)s' must be kind:name with kind one of %(kinds)s."),
    "component_name_too_long": _("Component name '%(name)s' is too long."),
    "component_listed_twice": _("Component '%(name)s' is listed twice."),
    "components_in_use": _(
        "Components of %(code)s that claims refer to cannot be removed; keep them in the list."
    ),
    # Shipment rows, in the order the checkers report a row's errors.
    "pi_number_missing": _("The PI number is missing."),
    "pi_number_too_long": _("The PI number is longer than %(limit)s characters."),
    "po_number_missing": _("The PO number is missing."),
    "po_number_too_long": _("The PO number is longer than %(limit)s characters."),
    "serial_number_missing": _("The serial number is missing."),
    "serial_number_too_long": _("The serial number is longer than %(limit)s characters."),
    "buyer_missing": _("The buyer organisation code is missing."),
    "buyer_unknown": _(
        "Unknown buyer organisation code '%(code)s' (create the organisation first, or allow "
        "creating buyers)."
    ),
    "buyer_code_invalid": _(
        "'%(code)s' cannot be an organisation code (letters, digits, - and _, at most %(limit)s)."
    ),
    "date_malformed": _("'%(value)s' is not a date in YYYY-MM-DD form."),
    "date_unreal": _("'%(value)s' is not a real date."),
    "delivery_before_shipment": _(
        "The delivery date %(delivered)s is before the shipment date %(shipped)s."
    ),
    "serial_repeated": _(
        "Serial number %(serial)s is already on line %(first_line)s of this file."
    ),
    "model_unknown": _("Unknown model code '%(code)s' (import the product models first)."),
    "price_missing": _("The unit price is missing."),
    "price_not_number": _("'%(value)s' is not a number (write it like 120.50)."),
    "price_not_positive": _("The unit price must be positive, not %(value)s."),
    "price_too_large": _("The unit price %(value)s is too large."),
    "price_too_precise": _("%(value)s has more than 2 decimal places."),
    "currency_malformed": _("'%(value)s' is not a 3-letter currency code such as USD."),
    "pi_disagrees": _(
        "PI %(pi)s has %(column)s '%(first)s' on line %(first_line)s but '%(value)s' here; all "
        "rows of a PI must agree."
    ),
    "pi_recorded": _("PI %(pi)s is already recorded with %(column)s %(recorded)s, not %(value)s."),
    "pi_recorded_delivery": _(
        "PI %(pi)s is already recorded with delivery date %(recorded)s, not %(value)s."
    ),
    "serial_on_other_pi": _("Serial number %(serial)s is already registered on PI %(pi)s."),
    "serial_recorded": _(
        "Serial number %(serial)s is already registered with %(column)s %(recorded)s, not "
        "%(value)s."
    ),
}
# An error stored before errors were codes: its English message, as it was.
_STORED_TEXT = "stored_text"


def worded(code: str, params: Mapping[str, Any]) -> str:
    """The message of error ``code`` with its values, in the active language."""
    if code == _STORED_TEXT:
        return str(params.get("message", ""))
    message = MESSAGES[code]
    if callable(message):
        return message(params)
    return str(message) % params if params else str(message)


def where(line: int, column: str) -> str:
    """Where in the file an error is: "line 3, buyer" (the column is the file's header name)."""
    if column:
        return gettext("line %(line)s, %(column)s") % {"line": line, "column": column}
    return gettext("line %(line)s") % {"line": line}


def rejected(count: int, listed: int | None = None) -> str:
    """The headline of a rejected file of ``count`` errors, of which the first ``listed``."""
    text = ngettext(
        "%(count)s error in the file; nothing was imported.",
        "%(count)s errors in the file; nothing was imported.",
        count,
    ) % _count(count)
    if listed is not None and listed < count:
        text += " " + ngettext(
            "The first %(count)s is listed.", "The first %(count)s are listed.", listed
        ) % _count(listed)
    return text


def stopped() -> str:
    """The headline of an import that stopped on an unexpected error."""
    return gettext("The import stopped on an unexpected error; nothing was imported.")


def _count(count: int) -> dict[str, str]:
    return {"count": f"{count:,}"}


def _rows(count: int) -> str:
    return ngettext("%(count)s row", "%(count)s rows", count) % _count(count)


def some(values: Sequence[str], limit: int = 10) -> str:
    """The first ``limit`` values, and how many more."""
    shown = ", ".join(values[:limit])
    more = len(values) - limit
    if more > 0:
        return gettext("%(shown)s and %(more)s more") % {"shown": shown, "more": more}
    return shown


def shipment_summary(counts: Mapping[str, Any]) -> str:
    """What a shipment import did, from ``ShipmentImportResult.counts()``."""
    text = gettext(
        "%(rows)s: %(shipments)s created, %(updated)s updated, %(unchanged)s unchanged; "
        "%(units)s created, %(units_unchanged)s unchanged."
    ) % {
        "rows": _rows(counts["rows"]),
        "shipments": ngettext(
            "%(count)s shipment", "%(count)s shipments", counts["shipments_created"]
        )
        % _count(counts["shipments_created"]),
        "updated": f"{counts['shipments_updated']:,}",
        "unchanged": f"{counts['shipments_unchanged']:,}",
        "units": ngettext("%(count)s unit", "%(count)s units", counts["units_created"])
        % _count(counts["units_created"]),
        "units_unchanged": f"{counts['units_unchanged']:,}",
    }
    if counts.get("delivery_dates_filled"):
        text += " " + gettext("Delivery date filled in for PI %(pis)s.") % {
            "pis": some(counts["delivery_dates_filled"])
        }
    if counts.get("buyers_created"):
        text += " " + gettext("Buyer organisations created: code %(codes)s.") % {
            "codes": some(counts["buyers_created"])
        }
    return text


def product_summary(counts: Mapping[str, Any]) -> str:
    """What a product import did, from ``ProductImportResult.counts()``."""
    return gettext(
        "%(rows)s: %(models)s created, %(updated)s updated, %(unchanged)s unchanged; "
        "components: %(components_created)s created, %(components_updated)s updated, "
        "%(components_removed)s removed."
    ) % {
        "rows": _rows(counts["rows"]),
        "models": ngettext(
            "%(count)s product model", "%(count)s product models", counts["products_created"]
        )
        % _count(counts["products_created"]),
        "updated": f"{counts['products_updated']:,}",
        "unchanged": f"{counts['products_unchanged']:,}",
        "components_created": counts["components_created"],
        "components_updated": counts["components_updated"],
        "components_removed": counts["components_removed"],
    }
