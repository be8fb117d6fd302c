"""Threat: flooding someone's mailbox (or our mail server) through the password-reset page.

At most RMA_PASSWORD_RESET_RATE_PER_ADDRESS mails to one address and
RMA_PASSWORD_RESET_RATE_PER_CLIENT requests from one client address; counted whether or not the
address belongs to anyone, so the page still says nothing about which addresses exist.
"""

import pytest
from django.core import mail
from django.test import Client

from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture(autouse=True)
def rates(settings):
    settings.RMA_PASSWORD_RESET_RATE_PER_ADDRESS = "3/hour"
    settings.RMA_PASSWORD_RESET_RATE_PER_CLIENT = "10/hour"


@pytest.fixture
def buyer(db):
    return UserFactory(username="ann", email="ann@acme.example", organisation=OrganisationFactory())


def ask(email, ip="203.0.113.7"):
    return Client().post("/accounts/password_reset/", {"email": email}, REMOTE_ADDR=ip)


def test_ten_requests_for_one_address_send_three_mails(buyer):
    answers = [ask("ann@acme.example", ip=f"198.51.100.{n}").status_code for n in range(10)]

    assert len(mail.outbox) == 3
    assert answers[:3] == [302, 302, 302]
    assert set(answers[3:]) == {429}


def test_the_refusal_says_why_and_when_to_come_back(buyer):
    for _ in range(3):
        ask("ann@acme.example")

    response = ask("ANN@acme.example")  # the address is counted case-insensitively

    assert response.status_code == 429
    assert "Too many password-reset e-mails" in response.text
    assert int(response["Retry-After"]) > 0


def test_one_client_asking_for_many_addresses_is_capped(buyer):
    answers = [ask(f"nobody{n}@example.com").status_code for n in range(10)]
    eleventh = ask("ann@acme.example")

    assert set(answers) == {302}
    assert eleventh.status_code == 429
    assert mail.outbox == []  # the ten were strangers, the eleventh was refused


def test_an_unknown_address_is_capped_like_a_known_one(buyer):
    known = [ask("ann@acme.example").status_code for _ in range(4)]
    unknown = [ask("ghost@acme.example").status_code for _ in range(4)]

    assert known == unknown == [302, 302, 302, 429]
