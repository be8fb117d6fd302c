"""Items of claims that gave notice (N1), one row each with the facts the counts need:
``NoticedItem``, kept exact by the database itself (issues 15, 19).

The quality analytics and the dashboard count claimed units per shipment, model, month and age
on every request. Read from the items, that means joining 100,000 items to their claims and to a
million units; this table holds those joins already made (the unit's shipment, model and
invoiced price, the claim's organisation, notice time and cancellation, whether inspection
confirmed the defect), for the items of noticed claims only. Triggers keep it: every statement
that writes an item, changes a claim's notice, organisation or cancellation, or moves or
reprices a unit recomputes the rows it touched
from the one definition below (``SELECT``), in the same transaction; so it is right after every
act, every import and every ``bulk_create`` alike, with nothing to schedule or refresh. On
PostgreSQL the triggers are statement-level (transition tables); on SQLite, row-level.
"""

from __future__ import annotations

from warranty.rules import SEOUL
from warranty.summaries import execute_for_vendor

ITEMS, CLAIMS, UNITS = "claims_claimitem", "claims_claim", "warranty_unit"
FACTS = "claims_noticeditem"
COLUMNS = (
    "item_id, organisation_id, notice_at, cancelled, unit_id, shipment_id, product_model_id, "
    "unit_price, currency, defect_date, confirmed"
)


def _select(where: str, confirmed: str, join: str = "") -> str:
    """The definition: one row per item of a claim that gave notice."""
    return (
        f"SELECT i.id, c.organisation_id, c.notice_at, c.status = 'cancelled', i.unit_id, "
        f"u.shipment_id, u.product_model_id, u.unit_price, u.currency, i.defect_date, {confirmed} "
        f"FROM {ITEMS} i {join} JOIN {CLAIMS} c ON c.id = i.claim_id "
        f"JOIN {UNITS} u ON u.id = i.unit_id WHERE c.notice_at IS NOT NULL{where}"
    )


PG_CONFIRMED = "i.findings @> '[\"confirmed_defect\"]'::jsonb"
SQLITE_CONFIRMED = (
    "EXISTS (SELECT 1 FROM json_each(i.findings) f WHERE f.value = 'confirmed_defect')"
)

# Each trigger names the items it touched; one function recomputes their rows.
PG_TRIGGERS = {
    # (table, event, transition tables, the touched items' ids)
    "claims_noticeditem_item_insert": (
        ITEMS,
        "INSERT",
        "NEW TABLE AS new_rows",
        "SELECT id FROM new_rows",
    ),
    "claims_noticeditem_item_update": (
        ITEMS,
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "WHERE (o.claim_id, o.unit_id, o.defect_date, o.findings) "
        "IS DISTINCT FROM (n.claim_id, n.unit_id, n.defect_date, n.findings)",
    ),
    "claims_noticeditem_item_delete": (
        ITEMS,
        "DELETE",
        "OLD TABLE AS old_rows",
        "SELECT id FROM old_rows",
    ),
    "claims_noticeditem_claim_insert": (
        CLAIMS,
        "INSERT",
        "NEW TABLE AS new_rows",
        f"SELECT i.id FROM {ITEMS} i JOIN new_rows n ON n.id = i.claim_id",
    ),
    "claims_noticeditem_claim_update": (
        CLAIMS,
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        f"SELECT i.id FROM {ITEMS} i JOIN new_rows n ON n.id = i.claim_id "
        "JOIN old_rows o ON o.id = n.id "
        "WHERE (o.notice_at, o.organisation_id, o.status = 'cancelled') "
        "IS DISTINCT FROM (n.notice_at, n.organisation_id, n.status = 'cancelled')",
    ),
    # Items may be written before their unit in one transaction (deferred foreign keys): new
    # units have the newest ids, so the index range on unit_id finds their items at once.
    "claims_noticeditem_unit_insert": (
        UNITS,
        "INSERT",
        "NEW TABLE AS new_rows",
        f"SELECT i.id FROM {ITEMS} i WHERE i.unit_id >= (SELECT min(id) FROM new_rows) "
        "AND i.unit_id IN (SELECT id FROM new_rows)",
    ),
    "claims_noticeditem_unit_update": (
        UNITS,
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        f"SELECT i.id FROM {ITEMS} i JOIN new_rows n ON n.id = i.unit_id "
        "JOIN old_rows o ON o.id = n.id "
        "WHERE (o.shipment_id, o.product_model_id, o.unit_price, o.currency) "
        "IS DISTINCT FROM (n.shipment_id, n.product_model_id, n.unit_price, n.currency)",
    ),
}

PG_REFRESH = f"""
CREATE OR REPLACE FUNCTION claims_noticeditem_refresh(ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    DELETE FROM {FACTS} f USING unnest(ids) AS t(id) WHERE f.item_id = t.id;
    INSERT INTO {FACTS} ({COLUMNS})
    {_select("", PG_CONFIRMED, "JOIN unnest(ids) AS t(id) ON t.id = i.id")};
END $$;

CREATE OR REPLACE FUNCTION claims_noticeditem_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {FACTS};  -- not TRUNCATE: the same statement may be emptying it too
    RETURN NULL;
END $$;
CREATE TRIGGER claims_noticeditem_truncate AFTER TRUNCATE ON {ITEMS}
    FOR EACH STATEMENT EXECUTE FUNCTION claims_noticeditem_truncate();
"""


def _pg_trigger(name: str, table: str, event: str, tables: str, ids: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM claims_noticeditem_refresh(ARRAY({ids}));
    RETURN NULL;
END $$;
CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {tables}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


POSTGRESQL = PG_REFRESH + "".join(_pg_trigger(n, *spec) for n, spec in PG_TRIGGERS.items())
DROP_POSTGRESQL = (
    "".join(
        f"DROP TRIGGER IF EXISTS {name} ON {spec[0]}; DROP FUNCTION IF EXISTS {name}();"
        for name, spec in PG_TRIGGERS.items()
    )
    + f"DROP TRIGGER IF EXISTS claims_noticeditem_truncate ON {ITEMS};"
    + "DROP FUNCTION IF EXISTS claims_noticeditem_truncate();"
    + "DROP FUNCTION IF EXISTS claims_noticeditem_refresh(bigint[]);"
)


def _sqlite_refresh(ids: str) -> str:
    return (
        f"DELETE FROM {FACTS} WHERE item_id IN ({ids}); "
        f"INSERT INTO {FACTS} ({COLUMNS}) {_select(f' AND i.id IN ({ids})', SQLITE_CONFIRMED)};"
    )


SQLITE_TRIGGERS = {
    # name: (table, event, the touched items' ids)
    "claims_noticeditem_item_insert": (ITEMS, "INSERT", "NEW.id"),
    "claims_noticeditem_item_update": (
        ITEMS,
        "UPDATE OF claim_id, unit_id, defect_date, findings",
        "NEW.id",
    ),
    "claims_noticeditem_claim_insert": (
        CLAIMS,
        "INSERT",
        f"SELECT id FROM {ITEMS} WHERE claim_id = NEW.id",
    ),
    "claims_noticeditem_claim_update": (
        CLAIMS,
        "UPDATE OF notice_at, organisation_id, status",
        f"SELECT id FROM {ITEMS} WHERE claim_id = NEW.id",
    ),
    "claims_noticeditem_unit_insert": (
        UNITS,
        "INSERT",
        f"SELECT id FROM {ITEMS} WHERE unit_id = NEW.id",
    ),
    "claims_noticeditem_unit_update": (
        UNITS,
        "UPDATE OF shipment_id, product_model_id, unit_price, currency",
        f"SELECT id FROM {ITEMS} WHERE unit_id = NEW.id",
    ),
}
SQLITE = [
    f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {_sqlite_refresh(ids)} END"
    for name, (table, event, ids) in SQLITE_TRIGGERS.items()
] + [
    f"CREATE TRIGGER claims_noticeditem_item_delete AFTER DELETE ON {ITEMS} "
    f"BEGIN DELETE FROM {FACTS} WHERE item_id = OLD.id; END"
]
DROP_SQLITE = [
    f"DROP TRIGGER IF EXISTS {name}"
    for name in [*SQLITE_TRIGGERS, "claims_noticeditem_item_delete"]
]


def rebuild_noticed_items(connection) -> None:
    """Write ``NoticedItem`` from the items again (one INSERT … SELECT of the definition)."""
    confirmed = PG_CONFIRMED if connection.vendor == "postgresql" else SQLITE_CONFIRMED
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FACTS}")
        cursor.execute(f"INSERT INTO {FACTS} ({COLUMNS}) {_select('', confirmed)}")


# --- Per model and month: ``NoticedMonth`` ---------------------------------------------------
# A count over ``NoticedItem``, which its own triggers write only by DELETE and INSERT (and
# empty by DELETE): triggers on it add and remove what each statement wrote. The month is the
# Seoul month of notice, as the dashboard's ``TruncMonth`` in Asia/Seoul; SQLite has no time
# zones, and Seoul's offset is a fixed +9 hours (no daylight saving since 1988).

MONTHS = "claims_noticedmonth"
PG_MONTH = f"(date_trunc('month', notice_at AT TIME ZONE '{SEOUL.key}'))::date"
SQLITE_MONTH = "date({}.notice_at, '+9 hours', 'start of month')"


def _pg_month_change(rows: str, sign: str) -> str:
    """Add (``+``) or take away (``-``) the rows of one transition table, in key order (two
    transactions writing the same months lock them in the same order)."""
    return f"""
    INSERT INTO {MONTHS} (product_model_id, month, items)
    SELECT product_model_id, {PG_MONTH}, 0 FROM {rows} GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (product_model_id, month) DO NOTHING;
    UPDATE {MONTHS} m SET items = m.items {sign} changed.n
    FROM (SELECT product_model_id, {PG_MONTH} AS month, count(*) AS n FROM {rows} GROUP BY 1, 2
          ORDER BY 1, 2) changed
    WHERE m.product_model_id = changed.product_model_id AND m.month = changed.month;
"""


_MONTHS_PG_BODIES = {
    # trigger: (transition tables, body)
    "insert": ("NEW TABLE AS new_rows", _pg_month_change("new_rows", "+")),
    "delete": (
        "OLD TABLE AS old_rows",
        _pg_month_change("old_rows", "-") + f"DELETE FROM {MONTHS} WHERE items = 0;",
    ),
    "update": (
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _pg_month_change("new_rows", "+")
        + _pg_month_change("old_rows", "-")
        + f"DELETE FROM {MONTHS} WHERE items = 0;",
    ),
    "truncate": ("", f"DELETE FROM {MONTHS};"),  # not TRUNCATE: one statement may empty both
}


def _pg_statement_trigger(name: str, event: str, table: str, tables: str, body: str) -> str:
    """A statement-level trigger and its function, ``name`` for both."""
    referencing = f"REFERENCING {tables}" if tables else ""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {body}
    RETURN NULL;
END $$;
CREATE TRIGGER {name} AFTER {event} ON {table} {referencing}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""


MONTHS_POSTGRESQL = "".join(
    _pg_statement_trigger(f"claims_noticedmonth_{name}", name.upper(), FACTS, tables, body)
    for name, (tables, body) in _MONTHS_PG_BODIES.items()
)
DROP_MONTHS_POSTGRESQL = "".join(
    f"DROP TRIGGER IF EXISTS claims_noticedmonth_{name} ON {FACTS}; "
    f"DROP FUNCTION IF EXISTS claims_noticedmonth_{name}();"
    for name in _MONTHS_PG_BODIES
)


def _sqlite_month_change(row: str, sign: str) -> str:
    month = SQLITE_MONTH.format(row)
    return (
        f"INSERT OR IGNORE INTO {MONTHS} (product_model_id, month, items) "
        f"VALUES ({row}.product_model_id, {month}, 0); "
        f"UPDATE {MONTHS} SET items = items {sign} 1 "
        f"WHERE product_model_id = {row}.product_model_id AND month = {month}; "
    )


_SQLITE_DROP_EMPTY = f"DELETE FROM {MONTHS} WHERE items = 0; "
MONTHS_SQLITE = [
    f"CREATE TRIGGER claims_noticedmonth_insert AFTER INSERT ON {FACTS} "
    f"BEGIN {_sqlite_month_change('NEW', '+')} END",
    f"CREATE TRIGGER claims_noticedmonth_delete AFTER DELETE ON {FACTS} "
    f"BEGIN {_sqlite_month_change('OLD', '-')}{_SQLITE_DROP_EMPTY} END",
    f"CREATE TRIGGER claims_noticedmonth_update AFTER UPDATE OF product_model_id, notice_at "
    f"ON {FACTS} BEGIN {_sqlite_month_change('NEW', '+')}{_sqlite_month_change('OLD', '-')}"
    f"{_SQLITE_DROP_EMPTY} END",
]
DROP_MONTHS_SQLITE = [
    f"DROP TRIGGER IF EXISTS claims_noticedmonth_{t}" for t in ("insert", "delete", "update")
]


def rebuild_noticed_months(connection) -> None:
    """Write ``NoticedMonth`` from ``NoticedItem`` again (one INSERT … SELECT … GROUP BY)."""
    month = PG_MONTH if connection.vendor == "postgresql" else SQLITE_MONTH.format(FACTS)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MONTHS}")
        cursor.execute(
            f"INSERT INTO {MONTHS} (product_model_id, month, items) "
            f"SELECT product_model_id, {month}, count(*) FROM {FACTS} GROUP BY 1, 2"
        )


# --- Decisions and their waits: ``Decision`` ---------------------------------------------------
# One row per inspect or reject event of a claim that gave notice, with the Seoul month of the
# decision and the wait since the notice. Events are append-only (claims/events.py), so a row
# is written when its event is; a claim's notice changing (never, in the lifecycle; a bulk
# correction could) recomputes that claim's rows.

EVENTS = "claims_claimevent"
DECISIONS = "claims_decision"
DECISION_KINDS = ("inspect", "reject")  # the staff's decision on a claim (N5: final verdicts)
_KINDS = ", ".join(f"'{kind}'" for kind in DECISION_KINDS)
_DECISION_COLUMNS = "event_id, claim_id, month, waited"
PG_DECISION = (
    "SELECT e.id, e.claim_id, "
    f"(date_trunc('month', e.created_at AT TIME ZONE '{SEOUL.key}'))::date, "
    "e.created_at - c.notice_at "
    f"FROM {{events}} e JOIN {CLAIMS} c ON c.id = e.claim_id "
    f"WHERE e.kind IN ({_KINDS}) AND c.notice_at IS NOT NULL"
)


def _sqlite_micros(column: str) -> str:
    """Microseconds since the epoch of a Django SQLite datetime ('YYYY-MM-DD HH:MM:SS[.ffffff]',
    UTC), exactly (julianday's float loses the last digits)."""
    return (
        f"(CAST(strftime('%s', {column}) AS INTEGER) * 1000000 + CASE WHEN instr({column}, '.') "
        f"THEN CAST(substr({column} || '000000', instr({column}, '.') + 1, 6) AS INTEGER) "
        "ELSE 0 END)"
    )


SQLITE_DECISION = (
    "SELECT e.id, e.claim_id, date(e.created_at, '+9 hours', 'start of month'), "
    f"{_sqlite_micros('e.created_at')} - {_sqlite_micros('c.notice_at')} "
    f"FROM {EVENTS} e JOIN {CLAIMS} c ON c.id = e.claim_id "
    f"WHERE e.kind IN ({_KINDS}) AND c.notice_at IS NOT NULL"
)

# The claims of an UPDATE statement whose notice changed.
_MOVED = (
    "SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id "
    "WHERE o.notice_at IS DISTINCT FROM n.notice_at"
)
DECISIONS_POSTGRESQL = (
    _pg_statement_trigger(
        "claims_decision_event_insert",
        "INSERT",
        EVENTS,
        "NEW TABLE AS new_rows",
        f"INSERT INTO {DECISIONS} ({_DECISION_COLUMNS}) {PG_DECISION.format(events='new_rows')};",
    )
    + _pg_statement_trigger(
        "claims_decision_claim_update",
        "UPDATE",
        CLAIMS,
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        f"DELETE FROM {DECISIONS} d USING ({_MOVED}) moved WHERE d.claim_id = moved.id; "
        f"INSERT INTO {DECISIONS} ({_DECISION_COLUMNS}) "
        f"{PG_DECISION.format(events=EVENTS)} AND e.claim_id IN ({_MOVED});",
    )
    + _pg_statement_trigger(
        "claims_decision_truncate",
        "TRUNCATE",
        EVENTS,
        "",
        f"DELETE FROM {DECISIONS};",  # not TRUNCATE: one statement may empty both
    )
)
DROP_DECISIONS_POSTGRESQL = (
    f"DROP TRIGGER IF EXISTS claims_decision_event_insert ON {EVENTS}; "
    f"DROP TRIGGER IF EXISTS claims_decision_claim_update ON {CLAIMS}; "
    f"DROP TRIGGER IF EXISTS claims_decision_truncate ON {EVENTS}; "
    "DROP FUNCTION IF EXISTS claims_decision_event_insert(); "
    "DROP FUNCTION IF EXISTS claims_decision_claim_update(); "
    "DROP FUNCTION IF EXISTS claims_decision_truncate();"
)
DECISIONS_SQLITE = [
    f"CREATE TRIGGER claims_decision_event_insert AFTER INSERT ON {EVENTS} "
    f"BEGIN INSERT INTO {DECISIONS} ({_DECISION_COLUMNS}) {SQLITE_DECISION} "
    "AND e.id = NEW.id; END",
    f"CREATE TRIGGER claims_decision_claim_update AFTER UPDATE OF notice_at ON {CLAIMS} "
    f"BEGIN DELETE FROM {DECISIONS} WHERE claim_id = NEW.id; "
    f"INSERT INTO {DECISIONS} ({_DECISION_COLUMNS}) {SQLITE_DECISION} "
    "AND e.claim_id = NEW.id; END",
]
DROP_DECISIONS_SQLITE = [
    "DROP TRIGGER IF EXISTS claims_decision_event_insert",
    "DROP TRIGGER IF EXISTS claims_decision_claim_update",
]


def rebuild_decisions(connection) -> None:
    """Write ``Decision`` from the events again (one INSERT … SELECT of the definition)."""
    select = (
        PG_DECISION.format(events=EVENTS) if connection.vendor == "postgresql" else SQLITE_DECISION
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {DECISIONS}")
        cursor.execute(f"INSERT INTO {DECISIONS} ({_DECISION_COLUMNS}) {select}")


def _migration_steps(triggers, drops, rebuild):
    """A summary's migration steps: create its triggers (per vendor) then fill it; or drop."""

    def install(apps, schema_editor) -> None:
        execute_for_vendor(schema_editor, *triggers)
        rebuild(schema_editor.connection)

    def uninstall(apps, schema_editor) -> None:
        execute_for_vendor(schema_editor, *drops)

    return install, uninstall


install, uninstall = _migration_steps(
    (POSTGRESQL, SQLITE), (DROP_POSTGRESQL, DROP_SQLITE), rebuild_noticed_items
)
install_months, uninstall_months = _migration_steps(
    (MONTHS_POSTGRESQL, MONTHS_SQLITE),
    (DROP_MONTHS_POSTGRESQL, DROP_MONTHS_SQLITE),
    rebuild_noticed_months,
)
install_decisions, uninstall_decisions = _migration_steps(
    (DECISIONS_POSTGRESQL, DECISIONS_SQLITE),
    (DROP_DECISIONS_POSTGRESQL, DROP_DECISIONS_SQLITE),
    rebuild_decisions,
)
