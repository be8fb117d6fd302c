import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from tests.factories import UserFactory

from .population import build


@pytest.fixture(scope="module")
def population(django_db_setup, django_db_blocker):
    """Built once per module inside a transaction rolled back at its end; each test runs in a
    savepoint inside it (pytest-django's own per-test transaction)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build()
        transaction.set_rollback(True)


@pytest.fixture
def clerk(db):
    """A sales clerk: staff, in the "Sales staff" group the migrations fill, not a superuser;
    working in English by choice (CPRO staff default to Korean)."""
    user = UserFactory(username="clerk", organisation=None, is_staff=True, language="en")
    user.groups.add(Group.objects.get(name="Sales staff"))
    return user


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client
