"""Units shipped per (shipment, model): ``UnitCount``, kept exact by the database itself.

Issue 15/19: the analytics pages and the dashboard count a million units per (shipment, model)
on every request; this table holds those counts (thousands of rows). Triggers on
``warranty_unit`` keep it: whatever writes units — the import (either path), the admin, a
``bulk_create``, a ``COPY`` — the counts change in the same statement and the same transaction,
so they are never stale and never need a refresh. On PostgreSQL the triggers are statement-level
with transition tables (one GROUP BY per statement, however many rows: an import of a million
units costs one aggregate); on SQLite, the development default, row-level.

``rebuild_unit_counts`` writes the table from the units again (one INSERT … SELECT): the
migration that creates it backfills with it.
"""

from __future__ import annotations

UNITS = "warranty_unit"
COUNTS = "warranty_unitcount"

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION warranty_unitcount_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {COUNTS} (shipment_id, product_model_id, units)
    SELECT shipment_id, product_model_id, count(*) FROM new_units GROUP BY 1, 2
    ON CONFLICT (shipment_id, product_model_id)
    DO UPDATE SET units = {COUNTS}.units + EXCLUDED.units;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION warranty_unitcount_remove() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {COUNTS} c SET units = c.units - gone.n
    FROM (SELECT shipment_id, product_model_id, count(*) AS n FROM old_units GROUP BY 1, 2) gone
    WHERE c.shipment_id = gone.shipment_id AND c.product_model_id = gone.product_model_id;
    DELETE FROM {COUNTS} WHERE units = 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION warranty_unitcount_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only the units whose shipment or model changed (a price correction moves nothing).
    INSERT INTO {COUNTS} (shipment_id, product_model_id, units)
    SELECT n.shipment_id, n.product_model_id, count(*)
    FROM old_units o JOIN new_units n ON n.id = o.id
    WHERE (o.shipment_id, o.product_model_id) IS DISTINCT FROM (n.shipment_id, n.product_model_id)
    GROUP BY 1, 2
    ON CONFLICT (shipment_id, product_model_id)
    DO UPDATE SET units = {COUNTS}.units + EXCLUDED.units;
    UPDATE {COUNTS} c SET units = c.units - gone.n
    FROM (
        SELECT o.shipment_id, o.product_model_id, count(*) AS n
        FROM old_units o JOIN new_units n ON n.id = o.id
        WHERE (o.shipment_id, o.product_model_id)
              IS DISTINCT FROM (n.shipment_id, n.product_model_id)
        GROUP BY 1, 2
    ) gone
    WHERE c.shipment_id = gone.shipment_id AND c.product_model_id = gone.product_model_id;
    DELETE FROM {COUNTS} WHERE units = 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION warranty_unitcount_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM {COUNTS};  -- not TRUNCATE: a TRUNCATE … CASCADE may be emptying it too
    RETURN NULL;
END $$;

CREATE TRIGGER warranty_unitcount_insert AFTER INSERT ON {UNITS}
    REFERENCING NEW TABLE AS new_units
    FOR EACH STATEMENT EXECUTE FUNCTION warranty_unitcount_add();
CREATE TRIGGER warranty_unitcount_delete AFTER DELETE ON {UNITS}
    REFERENCING OLD TABLE AS old_units
    FOR EACH STATEMENT EXECUTE FUNCTION warranty_unitcount_remove();
CREATE TRIGGER warranty_unitcount_update AFTER UPDATE ON {UNITS}
    REFERENCING OLD TABLE AS old_units NEW TABLE AS new_units
    FOR EACH STATEMENT EXECUTE FUNCTION warranty_unitcount_move();
CREATE TRIGGER warranty_unitcount_truncate AFTER TRUNCATE ON {UNITS}
    FOR EACH STATEMENT EXECUTE FUNCTION warranty_unitcount_truncate();
"""

DROP_POSTGRESQL = f"""
DROP TRIGGER IF EXISTS warranty_unitcount_insert ON {UNITS};
DROP TRIGGER IF EXISTS warranty_unitcount_delete ON {UNITS};
DROP TRIGGER IF EXISTS warranty_unitcount_update ON {UNITS};
DROP TRIGGER IF EXISTS warranty_unitcount_truncate ON {UNITS};
DROP FUNCTION IF EXISTS warranty_unitcount_add();
DROP FUNCTION IF EXISTS warranty_unitcount_remove();
DROP FUNCTION IF EXISTS warranty_unitcount_move();
DROP FUNCTION IF EXISTS warranty_unitcount_truncate();
"""


def _sqlite_add(row: str) -> str:
    return (
        f"INSERT INTO {COUNTS} (shipment_id, product_model_id, units) "
        f"VALUES ({row}.shipment_id, {row}.product_model_id, 1) "
        "ON CONFLICT (shipment_id, product_model_id) DO UPDATE SET units = units + 1;"
    )


def _sqlite_remove(row: str) -> str:
    match = f"shipment_id = {row}.shipment_id AND product_model_id = {row}.product_model_id"
    return (
        f"UPDATE {COUNTS} SET units = units - 1 WHERE {match}; "
        f"DELETE FROM {COUNTS} WHERE {match} AND units = 0;"
    )


SQLITE = [
    f"CREATE TRIGGER warranty_unitcount_insert AFTER INSERT ON {UNITS} "
    f"BEGIN {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER warranty_unitcount_delete AFTER DELETE ON {UNITS} "
    f"BEGIN {_sqlite_remove('OLD')} END",
    f"CREATE TRIGGER warranty_unitcount_update AFTER UPDATE OF shipment_id, product_model_id "
    f"ON {UNITS} BEGIN {_sqlite_remove('OLD')} {_sqlite_add('NEW')} END",
]
DROP_SQLITE = [
    f"DROP TRIGGER IF EXISTS warranty_unitcount_{event}" for event in ("insert", "delete", "update")
]


def execute_for_vendor(schema_editor, postgresql: str, sqlite: list[str]) -> None:
    """Run a summary's trigger DDL in the database's dialect (PostgreSQL, else SQLite)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(postgresql, params=None)
    else:
        for statement in sqlite:
            schema_editor.execute(statement, params=None)


def install(apps, schema_editor) -> None:
    """The migration's step: create the triggers, then fill the table from the units."""
    execute_for_vendor(schema_editor, POSTGRESQL, SQLITE)
    rebuild_unit_counts(schema_editor.connection)


def uninstall(apps, schema_editor) -> None:
    execute_for_vendor(schema_editor, DROP_POSTGRESQL, DROP_SQLITE)


def rebuild_unit_counts(connection) -> None:
    """Write ``UnitCount`` from the units again (one INSERT … SELECT)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {COUNTS}")
        cursor.execute(
            f"INSERT INTO {COUNTS} (shipment_id, product_model_id, units) "
            f"SELECT shipment_id, product_model_id, count(*) FROM {UNITS} GROUP BY 1, 2"
        )
