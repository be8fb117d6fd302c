"""Migration operations shared by the apps."""

from __future__ import annotations

from django.db import migrations


class OnPostgreSQLOnly(migrations.SeparateDatabaseAndState):
    """Schema changes made on PostgreSQL only; the state changes on every database.

    For changes that only matter to PostgreSQL (its ``LIKE`` index, an index or a constraint
    dropped for the import's speed, issue 19). SQLite, the development default, makes them by
    rebuilding the table: that drops the summary triggers on the table and fails on the
    triggers of other tables that read it (warranty/summaries.py, claims/summaries.py). There
    the table keeps what it had, which answers every query the same way."""

    def __init__(self, operations):
        super().__init__(database_operations=operations, state_operations=operations)

    def deconstruct(self):
        return self.__class__.__qualname__, [self.state_operations], {}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "On PostgreSQL only: " + "; ".join(op.describe() for op in self.state_operations)
