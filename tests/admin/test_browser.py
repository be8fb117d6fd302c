"""The staff workspace in a real browser (issue 16): a Korean clerk at 1280×800 works the queue,
a claim page and two acts in Debian's Chromium; every page a clerk uses has no serious or
critical axe-core violation and no visible English message of the catalogue left untranslated.
Screenshots in Korean and English go to docs/screenshots/ (overwritten on each run).

axe-core comes from npm (package.json; ``./dev setup`` installs it into node_modules/).
"""

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from claims.models import ClaimStatus, Message
from tests.factories import UserFactory, submitted_claim
from warranty.selectors import seoul_today

from .test_korean_admin import english_msgids

# serialized_rollback: the live server needs committed rows, and the "Sales staff" group the
# migrations create is put back for this test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-component-update"]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does).")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run ./dev setup (npm ci installs axe-core).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations of the page, as "rule: target" lines."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {node['target']}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
        for node in v["nodes"]
    ]


def untranslated(page, english: set[str]) -> list[str]:
    lines = page.evaluate("() => document.body.innerText").splitlines()
    texts = {" ".join(line.split()) for line in lines if line.strip()}
    return sorted(t for t in texts if t in english or t.capitalize() in english)


def check(page, english: set[str]) -> None:
    assert axe_violations(page) == [], page.url
    assert untranslated(page, english) == [], page.url
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url}: {width} px wide"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_a_korean_clerk_works_the_queue_a_claim_and_two_acts(live_server, browser):
    clerk = UserFactory(username="minji", organisation=None, is_staff=True)  # Korean: default
    clerk.groups.add(Group.objects.get(name="Sales staff"))
    claim = submitted_claim(items=2, hold_until=seoul_today() + datetime.timedelta(days=2))
    Message.objects.create(
        claim=claim, author_label="ann", channel="portal", body="Any news on this RMA?"
    )
    received = submitted_claim(
        items=1,
        status=ClaimStatus.RECEIVED,
        hold_until=seoul_today() + datetime.timedelta(days=20),
        received_at=timezone.now() - datetime.timedelta(days=9),
    )
    english = english_msgids()
    url = live_server.url

    for width in (1280, 1024):
        # bypass_csp: the test injects axe-core; the CSP itself is tested in tests/security.
        context = browser.new_context(
            viewport={"width": width, "height": 800}, locale="ko-KR", bypass_csp=True
        )
        page = context.new_page()
        page.goto(f"{url}/admin/login/?next=/admin/claims/claim/queue/")
        page.locator("#id_username").fill("minji")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("input[type=submit]").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("업무 대기열")

        # The queue: the hold ending first, the return waiting for inspection after it.
        rows = page.locator("tr.queue-row")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(str(claim))
        expect(rows.nth(0)).to_contain_text("보관 기간 종료 임박 (N4)")
        expect(rows.nth(1)).to_contain_text("입고 후 미검사 (R2)")
        expect(rows.nth(1)).to_contain_text("지연")
        check(page, english)
        if width == 1280:
            rows.nth(0).get_by_role("button", name="내가 맡기").click()
            expect(page.locator(".messagelist")).to_contain_text("minji에게 배정했습니다")
            shot(page, "staff-queue-ko")

        for path in (
            "/admin/",
            "/admin/claims/claim/",
            f"/admin/claims/claim/{received.pk}/change/",
            "/admin/claims/claim/dashboard/",
            "/admin/warranty/shipment/import/",
        ):
            page.goto(url + path)
            check(page, english)

        # The claim page and two acts.
        page.goto(f"{url}/admin/claims/claim/{claim.pk}/change/")
        expect(page.get_by_role("heading", level=1)).to_contain_text(str(claim))
        check(page, english)
        if width == 1280:
            shot(page, "staff-claim-ko")
        page.get_by_role("link", name="정보 요청").click()
        check(page, english)
        page.get_by_label(re.compile("질문")).fill("사진을 한 장 더 보내 주시겠습니까?")
        page.locator("form input[type=submit], form button[type=submit]").last.click()
        expect(page.locator(".messagelist")).to_be_visible()
        page.get_by_role("link", name="내부 메모").click()
        check(page, english)
        page.locator("textarea").first.fill("구매자에게 전화로도 확인함.")
        page.locator("form input[type=submit], form button[type=submit]").last.click()
        expect(page.locator(".messagelist")).to_be_visible()
        check(page, english)
        context.close()

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.INFO_REQUESTED
    assert claim.assigned_to == clerk
    # Both acts done once at each width; the assignment once (at 1280).
    assert list(claim.events.order_by("seq").values_list("kind", flat=True)) == [
        "assign",
        "request_info",
        "internal_note",
        "request_info",
        "internal_note",
    ]

    # The same pages in English, chosen in the admin itself.
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-US", bypass_csp=True
    )
    page = context.new_page()
    page.goto(f"{url}/admin/login/?next=/admin/claims/claim/queue/")
    page.locator("#id_username").fill("minji")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.locator("#staff-language-select").select_option("en")
    page.locator("#staff-language button").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Work queue")
    shot(page, "staff-queue-en")
    page.goto(f"{url}/admin/claims/claim/{claim.pk}/change/")
    assert axe_violations(page) == []
    shot(page, "staff-claim-en")
    context.close()
