"""A week without signals still brings the e-mail, saying so (no population in this module:
the module-scoped population of the other modules would otherwise be visible)."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from analytics import services
from tests.factories import UserFactory

from .population import TODAY

pytestmark = pytest.mark.django_db


def test_a_quiet_week_says_nothing_was_flagged():
    clerk = UserFactory(username="clerk", organisation=None, is_staff=True, language="en")
    clerk.groups.add(Group.objects.get(name="Sales staff"))

    assert services.send_weekly_report(today=TODAY) == 1

    assert mail.outbox[0].subject == "Warranty early warning: nothing flagged this week"
    assert "No model or batch is failing significantly faster than before." in mail.outbox[0].body
