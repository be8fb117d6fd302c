"""Threat: guessing passwords on the portal's and the admin's sign-in pages (django-axes).

After RMA_LOGIN_FAILURE_LIMIT failures for one username, or from one client address, sign-in is
paused for the cool-off, even with the right password, with a 429 page in the reader's language;
after the cool-off the right password works again. Staff see the attempts in the admin.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import User
from tests.factories import OrganisationFactory, UserFactory

PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory
PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


@pytest.fixture
def buyer(db):
    return UserFactory(username="ann", organisation=OrganisationFactory(code="acme"))


@pytest.fixture
def clerk(db):
    user = UserFactory(username="clerk", is_staff=True)
    user.groups.add(Group.objects.get(name="Sales staff"))
    return user


def sign_in(client, page, username, password, ip="203.0.113.7"):
    return client.post(page, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("page", PAGES)
def test_the_right_password_is_refused_after_five_failures_for_the_account(page, buyer, clerk):
    user = clerk if page.startswith("/admin") else buyer
    client = Client()
    answers = [sign_in(client, page, user.username, "wrong").status_code for _ in range(5)]

    response = sign_in(client, page, user.username, PASSWORD)

    assert answers == [200, 200, 200, 200, 429]  # the fifth failure starts the pause
    assert response.status_code == 429
    assert "Sign-in paused" in response.text
    assert "Try again in 15 minutes" in response.text
    assert response["Retry-After"] == "900"
    assert "_auth_user_id" not in client.session


def test_the_account_is_paused_whichever_address_the_guesses_come_from(buyer):
    for n in range(5):
        sign_in(Client(), "/accounts/login/", "ann", "wrong", ip=f"198.51.100.{n + 1}")

    response = sign_in(Client(), "/accounts/login/", "ann", PASSWORD, ip="192.0.2.50")

    assert response.status_code == 429


def test_one_address_guessing_many_accounts_is_paused(buyer):
    for n in range(5):
        sign_in(Client(), "/accounts/login/", f"user{n}", "wrong", ip="203.0.113.9")

    from_there = sign_in(Client(), "/accounts/login/", "ann", PASSWORD, ip="203.0.113.9")
    elsewhere = sign_in(Client(), "/accounts/login/", "ann", PASSWORD, ip="192.0.2.50")

    assert from_there.status_code == 429
    assert elsewhere.status_code == 302  # the account itself was not guessed at


def test_sign_in_works_again_after_the_cool_off(buyer):
    for _ in range(5):
        sign_in(Client(), "/accounts/login/", "ann", "wrong")
    assert sign_in(Client(), "/accounts/login/", "ann", PASSWORD).status_code == 429

    # The cool-off passes: the recorded attempts are now older than 15 minutes.
    AccessAttempt.objects.update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )
    client = Client()
    response = sign_in(client, "/accounts/login/", "ann", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(buyer.pk)


def test_the_pause_is_explained_in_korean(buyer):
    for _ in range(5):
        sign_in(Client(), "/accounts/login/", "ann", "wrong")
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")

    response = sign_in(client, "/accounts/login/", "ann", PASSWORD)

    assert response.status_code == 429
    assert "로그인" in response.text and "15분" in response.text


def test_sales_staff_see_the_failed_attempts_in_the_admin(buyer, clerk):
    for _ in range(3):
        sign_in(Client(), "/accounts/login/", "ann", "wrong", ip="203.0.113.77")
    staff = Client()
    staff.force_login(User.objects.get(username="clerk"))

    page = staff.get("/admin/axes/accessattempt/")

    assert page.status_code == 200
    assert "203.0.113.77" in page.text and "ann" in page.text
    assert staff.get("/admin/axes/accessfailurelog/").status_code == 200
