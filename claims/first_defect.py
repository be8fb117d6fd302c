"""A claim's earliest defect date (N1): ``Claim.first_defect_date``, kept by the database itself.

The N1 sweep (notifications/deadlines.py) looks for drafts whose notice deadline is near, and
the deadline runs from the earliest defect date of a draft's items. Computed from the items, that
is an aggregate over every draft on every run (issue 19: 148–348 ms for 50,000 drafts, with
nothing due); stored on the claim, under a partial index on drafts, it is one index range that
reads the due drafts only.

Triggers keep it, whatever writes the items (the draft service, the admin, a ``bulk_create``,
the tests' factories): every statement that adds, moves, re-dates or deletes items has the
claims it touched recompute the value, in the same statement and transaction. The value has one
definition (``_earliest``), computed by the claim's own trigger whenever a statement writes the
column: so an item trigger only sets it (to NULL) to have it recomputed, and a stale claim
saved from memory (``claim.save()`` writes every column) cannot overwrite it either. On
PostgreSQL the item triggers are statement-level (transition tables); on SQLite, row-level.
"""

from __future__ import annotations

from warranty.summaries import execute_for_vendor

ITEMS, CLAIMS = "claims_claimitem", "claims_claim"
COLUMN = "first_defect_date"


def _earliest(claim_id: str) -> str:
    """The definition: the earliest defect date of the claim's items (NULL without items)."""
    return f"(SELECT min(defect_date) FROM {ITEMS} WHERE claim_id = {claim_id})"


def _recompute(claim_ids: str) -> str:
    """Have the claims of ``claim_ids`` recompute the column (their trigger does)."""
    return f"UPDATE {CLAIMS} SET {COLUMN} = NULL WHERE id IN ({claim_ids})"


# (event, transition tables, the touched claims' ids)
PG_ITEM_TRIGGERS = {
    "claims_first_defect_item_insert": (
        "INSERT",
        "NEW TABLE AS new_rows",
        "SELECT claim_id FROM new_rows",
    ),
    "claims_first_defect_item_update": (
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT c FROM new_rows n JOIN old_rows o ON o.id = n.id "
        "CROSS JOIN LATERAL (VALUES (n.claim_id), (o.claim_id)) AS t(c) "
        "WHERE (o.claim_id, o.defect_date) IS DISTINCT FROM (n.claim_id, n.defect_date)",
    ),
    "claims_first_defect_item_delete": (
        "DELETE",
        "OLD TABLE AS old_rows",
        "SELECT claim_id FROM old_rows",
    ),
}

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION claims_first_defect_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.{COLUMN} := {_earliest("NEW.id")};
    RETURN NEW;
END $$;
CREATE TRIGGER claims_first_defect_claim BEFORE INSERT OR UPDATE OF {COLUMN} ON {CLAIMS}
    FOR EACH ROW EXECUTE FUNCTION claims_first_defect_claim();

CREATE OR REPLACE FUNCTION claims_first_defect_item_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE {CLAIMS} SET {COLUMN} = NULL WHERE {COLUMN} IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER claims_first_defect_item_truncate AFTER TRUNCATE ON {ITEMS}
    FOR EACH STATEMENT EXECUTE FUNCTION claims_first_defect_item_truncate();
""" + "".join(
    f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_recompute(ids)};
    RETURN NULL;
END $$;
CREATE TRIGGER {name} AFTER {event} ON {ITEMS} REFERENCING {tables}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
"""
    for name, (event, tables, ids) in PG_ITEM_TRIGGERS.items()
)
DROP_POSTGRESQL = (
    "".join(
        f"DROP TRIGGER IF EXISTS {name} ON {ITEMS}; DROP FUNCTION IF EXISTS {name}();"
        for name in [*PG_ITEM_TRIGGERS, "claims_first_defect_item_truncate"]
    )
    + f"DROP TRIGGER IF EXISTS claims_first_defect_claim ON {CLAIMS};"
    + "DROP FUNCTION IF EXISTS claims_first_defect_claim();"
)

# SQLite: row-level; its triggers do not fire themselves again (recursive_triggers is off).
SQLITE_TRIGGERS = {
    "claims_first_defect_claim_insert": (CLAIMS, "INSERT", "NEW.id"),
    "claims_first_defect_claim_update": (CLAIMS, f"UPDATE OF {COLUMN}", "NEW.id"),
}
SQLITE_ITEM_TRIGGERS = {
    "claims_first_defect_item_insert": ("INSERT", "NEW.claim_id"),
    "claims_first_defect_item_update": (
        "UPDATE OF claim_id, defect_date",
        "NEW.claim_id, OLD.claim_id",
    ),
    "claims_first_defect_item_delete": ("DELETE", "OLD.claim_id"),
}
SQLITE = [
    f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN "
    f"UPDATE {CLAIMS} SET {COLUMN} = {_earliest(ids)} WHERE id = {ids}; END"
    for name, (table, event, ids) in SQLITE_TRIGGERS.items()
] + [
    f"CREATE TRIGGER {name} AFTER {event} ON {ITEMS} BEGIN {_recompute(ids)}; END"
    for name, (event, ids) in SQLITE_ITEM_TRIGGERS.items()
]
DROP_SQLITE = [
    f"DROP TRIGGER IF EXISTS {name}" for name in [*SQLITE_TRIGGERS, *SQLITE_ITEM_TRIGGERS]
]


def install(apps, schema_editor) -> None:
    """The migration's step: create the triggers, then compute the column for every claim."""
    execute_for_vendor(schema_editor, POSTGRESQL, SQLITE)
    schema_editor.execute(f"UPDATE {CLAIMS} SET {COLUMN} = NULL", params=None)


def uninstall(apps, schema_editor) -> None:
    execute_for_vendor(schema_editor, DROP_POSTGRESQL, DROP_SQLITE)
