import datetime

import pytest
from celery import current_app
from django.contrib.auth.models import Group

from accounts.models import User
from claims import services
from claims.actors import Actor
from notifications import (
    outbox,
    tasks,  # noqa: F401  (registers the tasks in this process)
)
from notifications.models import OutboxMessage, OutboxState
from tests.conftest import WorkerProcess
from tests.factories import ShipmentFactory, UnitFactory, UserFactory
from warranty.models import WarrantyPolicy
from warranty.selectors import seoul_today

from .smtp_stub import SMTPStub


@pytest.fixture(autouse=True)
def policy(db):
    # Transactional tests (the worker ones) flush what migrations filled; put it back.
    WarrantyPolicy.objects.get_or_create(
        version="CPRO-LW-1", defaults={"effective_from": datetime.date(2000, 1, 1)}
    )


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # The user factory sets a password; the real hasher would dominate these tests' time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sales_staff(db):
    group, _ = Group.objects.get_or_create(name="Sales staff")
    clerk = User.objects.create(
        username="clerk", email="clerk@cpro.example", is_staff=True, language="en"
    )
    clerk.groups.add(group)
    return clerk


def run_outbox() -> int:
    """Run the queued e-mail tasks in this process, as the worker would, with the row id in the
    header, so the worker's signal handler marks each row done.

    For tests of what is sent (locmem backend); the worker tests go through Redis instead.
    """
    count = 0
    pending = OutboxMessage.objects.filter(
        state=OutboxState.PENDING, task_name__startswith="notifications."
    ).order_by("pk")
    for message in pending:
        OutboxMessage.objects.filter(pk=message.pk).update(state=OutboxState.PUBLISHED)
        current_app.tasks[message.task_name].apply(
            args=message.args, headers={outbox.HEADER: message.pk}, throw=True
        )
        count += 1
    return count


def submitted_claim(org, *, author=None):
    """A claim as the buyer files it: a draft through the service, then the notice."""
    author = author or UserFactory(organisation=org)
    unit = UnitFactory(
        shipment=ShipmentFactory(
            buyer=org,
            shipment_date=datetime.date(2026, 5, 4),
            delivery_date=datetime.date(2026, 5, 11),
        )
    )
    today = seoul_today()
    draft = services.create_draft(
        actor=Actor.buyer(author),
        items=[
            {
                "serial_number": unit.serial_number,
                "model_code": unit.product_model.code,
                "shipment_date": unit.shipment.shipment_date.isoformat(),
                "po_number": unit.shipment.po_number,
                "pi_number": unit.shipment.pi_number,
                "defect_kind": "hidden",
                "defect_date": (today - datetime.timedelta(days=2)).isoformat(),
                "defect_details": "No image after power-on.",
            }
        ],
    )
    return services.submit(actor=Actor.buyer(author), claim=draft)


@pytest.fixture
def smtp():
    server = SMTPStub().start()
    yield server
    server.stop()


@pytest.fixture
def stalling_smtp():
    server = SMTPStub(stall_first=True).start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(transactional_db):
    """Start real `celery worker` processes with extra environment; all stopped at the end.

    The test's data must be committed for a worker to see it (transactional_db)."""
    current_app.control.purge()
    started = []

    def start(**env):
        worker = WorkerProcess(extra_env=env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
