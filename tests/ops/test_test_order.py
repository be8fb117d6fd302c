"""The suite runs in any order of paths: serialized-rollback tests go first among the
transactional ones (tests/conftest.py), since the others' flush rewrites content types."""

import pytest

from tests.conftest import pytest_collection_modifyitems


class Item:
    def __init__(self, name, fixtures=(), **django_db):
        self.name, self.fixturenames, self.django_db = name, list(fixtures), django_db

    def get_closest_marker(self, name):
        if name == "django_db" and self.django_db:
            return pytest.mark.django_db(**self.django_db).mark
        return None

    def __repr__(self):
        return self.name


def test_serialized_rollback_tests_run_before_the_other_transactional_ones():
    items = [  # as pytest-django leaves them: database tests, transactional ones, the rest
        Item("db", fixtures=["db"]),
        Item("flushes", fixtures=["transactional_db"]),
        Item("flushes too", transaction=True),
        Item("restores", transaction=True, serialized_rollback=True),
        Item("restores too", fixtures=["transactional_db", "django_db_serialized_rollback"]),
        Item("no database"),
    ]

    pytest_collection_modifyitems(items)

    assert [item.name for item in items] == [
        "db",
        "restores",
        "restores too",
        "flushes",
        "flushes too",
        "no database",
    ]
