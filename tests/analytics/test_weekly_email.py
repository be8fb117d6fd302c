"""The weekly early-warning e-mail: to sales staff in their language, with the evidence, once a
week however often the beat task runs."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import mail

from analytics import services, tasks
from notifications.models import SentEmail
from tests.factories import UserFactory

from .population import B7, TODAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    group = Group.objects.get(name="Sales staff")
    english = UserFactory(username="clerk-en", organisation=None, is_staff=True, language="en")
    korean = UserFactory(username="clerk-ko", organisation=None, is_staff=True, language="ko")
    for user in (english, korean):
        user.groups.add(group)
    return english, korean


def test_staff_get_the_flagged_batch_with_its_evidence_in_their_language(population, staff):
    english, korean = staff

    sent = services.send_weekly_report(today=TODAY)

    assert sent == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    en, ko = by_address[english.email], by_address[korean.email]
    assert en.subject == "Warranty early warning: 1 model or batch failing faster"
    assert f"Batch QA-B, PI {B7}" in en.body
    assert "per 1,000 unit-months" in en.body
    assert "/admin/quality/early-warning/" in en.body
    assert "조기 경보" in ko.subject
    assert B7 in ko.body


def test_a_second_run_in_the_same_week_sends_nothing(population, staff):
    services.send_weekly_report(today=TODAY)
    mail.outbox.clear()

    assert services.send_weekly_report(today=TODAY) == 0
    assert mail.outbox == []
    assert SentEmail.objects.filter(kind="quality_report").count() == 2


def test_the_beat_schedule_runs_the_task_weekly():
    entry = settings.CELERY_BEAT_SCHEDULE["quality-early-warning"]

    assert entry["task"] == tasks.send_quality_report.name
    assert entry["schedule"].day_of_week == {1}
