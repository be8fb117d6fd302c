"""English and Korean: the portal speaks the buyer's language, by default their organisation's;
the buyer switches it (saved on their account); the S1 footer is the one staff edit."""

import pytest

from claims.models import SupportContact
from tests.factories import OrganisationFactory, UserFactory

from .helpers import submitted_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def korean_client(client, model):
    hanbit = OrganisationFactory(code="hanbit", name="한빛전자", language="ko")
    user = UserFactory(username="kim", organisation=hanbit)
    client.force_login(user)
    client.user = user
    return client


def test_a_korean_organisations_buyer_gets_korean_pages(korean_client):
    response = korean_client.get("/")
    assert response["Content-Language"] == "ko"
    assert '<html lang="ko">' in response.text
    assert "한빛전자의 보증 클레임" in response.text
    assert "본문으로 건너뛰기" in response.text  # the skip link


def test_the_claim_page_and_verdict_reasons_in_korean(client, org, buyer, unit):
    org.language = "ko"
    org.save()
    claim = submitted_for(buyer, [unit])
    client.force_login(buyer)
    page = client.get(f"/claims/{claim.pk}/").text
    assert "RMA 번호는 하자를 인정하는 것이 아닙니다" in page
    assert "타임라인" in page and "제출됨" in page
    assert "보증은 납품일(" in page  # the verdict's reasons, from the rules, in Korean
    assert "The warranty starts" not in page


def test_the_users_own_language_wins_over_the_organisations(client, buyer):
    buyer.language = "ko"
    buyer.save()
    client.force_login(buyer)
    assert client.get("/units/")["Content-Language"] == "ko"


def test_switching_the_language_sets_the_cookie_and_the_account(buyer_client, buyer):
    response = buyer_client.post("/language/", {"language": "ko", "next": "/claims/"})
    assert response.status_code == 302 and response.url == "/claims/"
    assert response.cookies["django_language"].value == "ko"
    buyer.refresh_from_db()
    assert buyer.language == "ko"
    assert buyer_client.get("/claims/")["Content-Language"] == "ko"


def test_the_cookie_wins_over_the_account_setting(korean_client):
    korean_client.cookies["django_language"] = "en"
    assert korean_client.get("/")["Content-Language"] == "en"


def test_visitors_switch_too_without_an_account(client):
    response = client.post("/language/", {"language": "ko", "next": "/accounts/login/"})
    assert response.cookies["django_language"].value == "ko"
    assert "로그인" in client.get("/accounts/login/").text


def test_an_unsafe_next_is_not_followed(buyer_client):
    response = buyer_client.post("/language/", {"language": "ko", "next": "https://evil.example/"})
    assert "evil.example" not in response.get("Location", "")


def test_the_language_switch_is_a_labelled_form(client):
    page = client.get("/").text
    assert '<label for="language-select"' in page
    assert 'lang="ko"' in page and "한국어" in page


def test_the_footer_shows_the_support_contact_staff_edited(client):
    contact = SupportContact.current()
    contact.email = "support@cpro.example"
    contact.save()
    page = client.get("/").text
    assert "#501, 58, Pangyo-ro 255bion-gil" in page
    assert "+82-70-8633, 8591" in page and "+82-31-735-5453" in page
    assert 'href="mailto:support@cpro.example"' in page


def test_every_page_has_a_skip_link_to_the_main_content(buyer_client):
    for url in ["/", "/units/", "/warranty/", "/claims/", "/claims/new/"]:
        page = buyer_client.get(url).text
        assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page, url
