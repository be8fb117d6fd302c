"""A unit's shipment and model exist: checked once per statement, not once per unit (issue 19).

``Unit.shipment`` and ``Unit.product_model`` are foreign keys without a database constraint
(``db_constraint=False``); these triggers keep the same guarantee. PostgreSQL checks a foreign
key with one trigger call per written row, queued and run at commit: for an import of 1,000,000
units two million calls, about half of the import's time. Here one statement-level trigger with
a transition table groups the statement's units by (shipment, model) — a few thousand pairs —
and checks those, however many units the statement wrote.

What holds, as with a foreign key (tests/warranty/test_unit_references.py):

- Writing units (``INSERT``, ``UPDATE``, ``COPY``, ``bulk_create``) whose shipment or model does
  not exist fails with ``foreign_key_violation`` (Django's ``IntegrityError``) and writes nothing.
  The named shipments and models are locked ``FOR KEY SHARE``, as PostgreSQL's own check does:
  until the writer commits, no other transaction deletes them or changes their id.
- Deleting a shipment or a model that units still name fails the same way (Django's
  ``on_delete=PROTECT`` refuses first, in Python), as does changing its id or truncating its
  table while units exist.
- Concurrent writers and deleters: a delete waits for the writer's lock; under READ COMMITTED
  (Django's default) its check then sees the writer's committed units and refuses. Under
  REPEATABLE READ the deleter's check cannot see them, but ``UnitCount`` (kept in the same
  statement by warranty/summaries.py) has real foreign keys to both parents, and PostgreSQL's
  check of those refuses the delete at commit: no unit is ever left without its parents.

The difference: a foreign key is ``DEFERRABLE INITIALLY DEFERRED`` (checked at commit), these
checks are immediate (at the end of each statement), so within one transaction a shipment must
be written before its units and its units deleted before it, as every path here does.

On SQLite (the development default) the two foreign-key constraints stay (``install``).
"""

from __future__ import annotations

UNITS = "warranty_unit"
# column of warranty_unit -> the table it names
PARENTS = {"shipment_id": "warranty_shipment", "product_model_id": "warranty_productmodel"}


def _pg_parent_check(column: str, parent: str) -> str:
    """Lock the parents the statement's units name; raise if one is missing."""
    return f"""
    SELECT count(*) INTO found FROM (
        SELECT FROM {parent} WHERE id = ANY (named.{column}s) FOR KEY SHARE
    ) locked;
    IF found < cardinality(named.{column}s) THEN
        SELECT n INTO missing FROM unnest(named.{column}s) n
        WHERE NOT EXISTS (SELECT FROM {parent} p WHERE p.id = n) LIMIT 1;
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = format('insert or update on table "{UNITS}" violates its reference to '
                             '"{parent}": Key ({column})=(%s) is not present in table "{parent}".',
                             missing),
            TABLE = '{UNITS}';
    END IF;"""


def _pg_parent_kept(column: str, parent: str) -> str:
    name = f"{UNITS}_{column}_kept"
    used = f"SELECT FROM {UNITS} u WHERE u.{column} = o.id"
    refusal = (
        "RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', "
        f'MESSAGE = format(\'update or delete on table "{parent}" violates the reference of '
        f'table "{UNITS}": Key (id)=(%s) is still referenced from table "{UNITS}".\', used), '
        f"TABLE = '{parent}';"
    )
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    used bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        -- After the whole TRUNCATE statement: emptying units in the same statement is fine.
        IF EXISTS (SELECT FROM {UNITS}) THEN
            RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
                MESSAGE = 'cannot truncate table "{parent}": units still reference it '
                          '(truncate {UNITS} in the same statement)';
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT o.id INTO used FROM old_rows o WHERE EXISTS ({used}) LIMIT 1;
        IF FOUND THEN {refusal} END IF;
    ELSE  -- UPDATE OF id, one row at a time (the trigger's WHEN: only when the id changes)
        SELECT o.id INTO used FROM (SELECT OLD.id) o (id) WHERE EXISTS ({used});
        IF FOUND THEN {refusal} END IF;
        RETURN NEW;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER {name}_delete AFTER DELETE ON {parent} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
CREATE TRIGGER {name}_truncate AFTER TRUNCATE ON {parent}
    FOR EACH STATEMENT EXECUTE FUNCTION {name}();
CREATE TRIGGER {name}_update BEFORE UPDATE OF id ON {parent}
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION {name}();
"""


POSTGRESQL = (
    f"""
CREATE OR REPLACE FUNCTION {UNITS}_parents_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    named record;
    found bigint;
    missing bigint;
BEGIN
    -- One pass over the statement's units: the pairs first (a hash of a few thousand), then
    -- the distinct shipments and models among them.
    SELECT array_agg(DISTINCT shipment_id) AS shipment_ids,
           array_agg(DISTINCT product_model_id) AS product_model_ids
    INTO named
    FROM (SELECT shipment_id, product_model_id FROM new_units GROUP BY 1, 2) pairs;
    IF named.shipment_ids IS NULL THEN
        RETURN NULL;  -- no rows written
    END IF;"""
    + "".join(_pg_parent_check(column, parent) for column, parent in PARENTS.items())
    + f"""
    RETURN NULL;
END $$;
CREATE TRIGGER {UNITS}_parents_insert AFTER INSERT ON {UNITS} REFERENCING NEW TABLE AS new_units
    FOR EACH STATEMENT EXECUTE FUNCTION {UNITS}_parents_exist();
CREATE TRIGGER {UNITS}_parents_update AFTER UPDATE ON {UNITS} REFERENCING NEW TABLE AS new_units
    FOR EACH STATEMENT EXECUTE FUNCTION {UNITS}_parents_exist();
"""
    + "".join(_pg_parent_kept(column, parent) for column, parent in PARENTS.items())
)

DROP_POSTGRESQL = (
    f"DROP TRIGGER IF EXISTS {UNITS}_parents_insert ON {UNITS};"
    f"DROP TRIGGER IF EXISTS {UNITS}_parents_update ON {UNITS};"
    f"DROP FUNCTION IF EXISTS {UNITS}_parents_exist();"
    + "".join(
        f"DROP TRIGGER IF EXISTS {UNITS}_{column}_kept_{event} ON {parent};"
        for column, parent in PARENTS.items()
        for event in ("delete", "truncate", "update")
    )
    + "".join(f"DROP FUNCTION IF EXISTS {UNITS}_{column}_kept();" for column in PARENTS)
)


def install(apps, schema_editor) -> None:
    """The migration's step, after the constraints are dropped: add the triggers (PostgreSQL).

    On SQLite (development) the constraints stay: checks per unit cost little there."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL, params=None)


def uninstall(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_POSTGRESQL, params=None)
