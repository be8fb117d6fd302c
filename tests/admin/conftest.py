import datetime

import pytest
from django.contrib.auth.models import Group

from claims.models import ClaimStatus
from tests.factories import ClaimFactory, ClaimItemFactory, UserFactory
from warranty.rules import SEOUL

NOTICE = datetime.datetime(2025, 12, 3, 10, 0, tzinfo=SEOUL)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def clerk(db):
    """A sales clerk: staff, in the "Sales staff" group the migrations fill, not a superuser."""
    user = UserFactory(username="clerk", organisation=None, is_staff=True, language="en")
    user.groups.add(Group.objects.get(name="Sales staff"))
    return user


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def submitted_claim(items: int = 1, rma: str = "RMA-2025-000042", **fields):
    """A claim as submission leaves it (N2 number, N1 notice, N4 hold), with ``items`` items."""
    claim = ClaimFactory(
        status=fields.pop("status", ClaimStatus.SUBMITTED),
        rma_number=rma,
        notice_at=fields.pop("notice_at", NOTICE),
        hold_until=fields.pop("hold_until", datetime.date(2026, 1, 2)),
        **fields,
    )
    for position in range(items):
        ClaimItemFactory(claim=claim, position=position, verdict_status="covered")
    return claim
