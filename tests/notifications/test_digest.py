"""The weekly staff digest (issue 16): what is past its working-day target, in each clerk's
language, once per week."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from claims.models import ClaimStatus
from claims.workdays import add_working_days
from notifications.digest import send_weekly_digest
from notifications.emails import _staff_audiences
from tests.factories import UserFactory, submitted_claim
from warranty.selectors import seoul_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    group = Group.objects.get(name="Sales staff")
    english = UserFactory(
        username="tom", email="tom@cpro.example", organisation=None, is_staff=True, language="en"
    )
    korean = UserFactory(username="minji", email="minji@cpro.example", organisation=None)
    korean.is_staff = True  # no language chosen: Korean, as CPRO's staff by default
    korean.save()
    for user in (english, korean):
        user.groups.add(group)
    return english, korean


def test_the_digest_lists_late_claims_in_each_clerks_language_once_a_week(staff):
    english, korean = staff
    late = submitted_claim(
        status=ClaimStatus.RECEIVED, hold_until=seoul_today(), received_at=timezone.now()
    )
    late.assigned_to = korean
    late.save()
    submitted_claim(status=ClaimStatus.RECEIVED, hold_until=None, received_at=timezone.now())
    today = add_working_days(seoul_today(), 4)  # the inspection target (3 days) has passed
    assert send_weekly_digest(today=today) == 2
    assert send_weekly_digest(today=today) == 0  # once per week, whatever the retries
    by_to = {m.to[0]: m for m in mail.outbox}
    en, ko = by_to["tom@cpro.example"], by_to["minji@cpro.example"]
    assert "2 claims past target" in en.subject
    assert "목표 기한을 넘긴 클레임 2건" in ko.subject
    assert str(late) in en.body and "assigned to minji" in en.body
    assert "Received, not inspected (R2)" in en.body and "Hold ending (N4)" in en.body
    assert "입고 후 미검사 (R2)" in ko.body and "담당자 minji" in ko.body
    assert "/admin/claims/claim/queue/" in en.body


def test_nothing_late_says_so(staff):
    submitted_claim(status=ClaimStatus.RECEIVED, hold_until=None, received_at=timezone.now())
    assert send_weekly_digest(today=seoul_today()) == 2
    assert all(
        "nothing is past target" in m.subject or "없습니다" in m.subject for m in mail.outbox
    )


def test_staff_emails_and_reminders_go_out_in_each_clerks_language(staff):
    # The N4 reminders and staff e-mails are built per audience (notifications/emails.py).
    audiences = {a.name: (a.language, a.to) for a in _staff_audiences()}
    assert audiences == {
        "staff-en": ("en", ["tom@cpro.example"]),
        "staff-ko": ("ko", ["minji@cpro.example"]),
    }
