"""CPRO's staff work in Korean (issue 16): a clerk's own choice, Korean by default, and no
admin page a clerk uses shows an English message of our catalogue untranslated."""

import gettext
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory
from tests.portal.test_catalogue import po_entries
from warranty.selectors import seoul_today

from .conftest import submitted_claim

pytestmark = pytest.mark.django_db

LC_MESSAGES = Path(__file__).resolve().parents[2] / "locale" / "ko" / "LC_MESSAGES"


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside script, style and hidden SVG symbols, plus
    the labels of buttons and inputs that show their value."""

    HIDDEN = {"script", "style", "symbol", "title", "template"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1
        attrs = dict(attrs)
        if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
            self.texts.append(attrs["value"].strip())

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth and data.strip():
            self.texts.append(" ".join(data.split()))


def english_msgids() -> set[str]:
    """Our catalogue's English messages whose Korean differs (placeholders excluded)."""
    with (LC_MESSAGES / "django.mo").open("rb") as mo:
        catalog = gettext.GNUTranslations(mo)
    return {
        e["msgid"]
        for e in po_entries(LC_MESSAGES / "django.po")
        if "%" not in e["msgid"] and catalog.gettext(e["msgid"]) != e["msgid"]
    }


@pytest.fixture
def korean_clerk(client):
    user = UserFactory(username="minji", organisation=None, is_staff=True)  # no choice: Korean
    user.groups.add(Group.objects.get(name="Sales staff"))
    client.force_login(user)
    return client


def test_cpro_staff_work_in_korean_unless_they_choose_english():
    assert User(is_staff=True).preferred_language == "ko"
    assert User(is_staff=True, language="en").preferred_language == "en"
    assert User(is_staff=False).preferred_language == "en"


def test_a_clerk_chooses_the_admin_language_in_the_admin(korean_clerk):
    page = korean_clerk.get(reverse("admin:index")).content.decode()
    assert 'lang="ko"' in page and 'id="staff-language"' in page
    assert "CPRO RMA — 영업 담당" in page
    response = korean_clerk.post(
        reverse("portal:set_language"), {"language": "en", "next": reverse("admin:index")}
    )
    assert response.status_code == 302
    assert User.objects.get(username="minji").language == "en"
    page = korean_clerk.get(reverse("admin:index")).content.decode()
    assert 'lang="en"' in page and "CPRO RMA — sales staff" in page


def test_no_admin_page_a_clerk_uses_shows_english_from_the_catalogue(korean_clerk):
    claim = submitted_claim(items=2, hold_until=seoul_today())
    pages = [
        reverse("admin:index"),
        reverse("admin:claims_claim_changelist"),
        reverse("admin:claims_claim_changelist") + "?status=open",
        reverse("admin:claims_claim_change", args=[claim.pk]),
        reverse("admin:claims_claim_act", args=[claim.pk, "request-info"]),
        reverse("admin:claims_claim_act", args=[claim.pk, "note"]),
        reverse("admin:claims_claim_queue"),
        reverse("admin:claims_claim_dashboard"),
        reverse("admin:warranty_shipment_import"),
        reverse("admin:warranty_shipmentimport_changelist"),
        reverse("admin:accounts_apikey_changelist"),
        reverse("admin:accounts_apikey_add"),
        reverse("admin:partner_api_webhookendpoint_changelist"),
        reverse("admin:partner_api_webhookendpoint_add"),
        reverse("admin:partner_api_webhookdelivery_changelist"),
    ]
    english = english_msgids()
    assert {"Work queue", "Claims (RMA)", "claims", "RMA on documents"} <= english
    seen_korean = 0
    for url in pages:
        response = korean_clerk.get(url)
        assert response.status_code == 200, url
        parser = VisibleText()
        parser.feed(response.content.decode())
        left = sorted({t for t in parser.texts if t in english or t.capitalize() in english})
        assert left == [], f"{url}: untranslated {left}"
        seen_korean += any("\uac00" <= ch <= "\ud7a3" for t in parser.texts for ch in t)
    assert seen_korean == len(pages)
