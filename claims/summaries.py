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


def install(apps, schema_editor) -> None:
    """The migration's step: create the triggers, then fill the table from the items."""
    execute_for_vendor(schema_editor, POSTGRESQL, SQLITE)
    rebuild_noticed_items(schema_editor.connection)


def uninstall(apps, schema_editor) -> None:
    execute_for_vendor(schema_editor, DROP_POSTGRESQL, DROP_SQLITE)


def rebuild_noticed_items(connection) -> None:
    """Write ``NoticedItem`` from the items again (one INSERT … SELECT of the definition)."""
    confirmed = PG_CONFIRMED if connection.vendor == "postgresql" else SQLITE_CONFIRMED
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FACTS}")
        cursor.execute(f"INSERT INTO {FACTS} ({COLUMNS}) {_select('', confirmed)}")
