"""The analytics pages in Debian's Chromium (Playwright, no browser download): a sales clerk
signs in to the admin, reads every page in English and the rates in Korean, and the screenshots
go to docs/screenshots/analytics-*.png (overwritten on each run)."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from accounts.models import User
from claims.models import ClaimItem, CreditNote

from .population import B7, build

# serialized_rollback: the "Sales staff" group and its permissions come from migrations, and an
# earlier transactional test may have flushed them.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "pw-for-tests-1"


@pytest.fixture
def browser(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        connections.close_all()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"analytics-{name}.png"), full_page=True)


def credit_notes(count: int) -> None:
    """A few D1 credit notes, so the cost page has figures in both currencies."""
    issued = timezone.now() - timedelta(days=20)
    items = ClaimItem.objects.select_related("unit", "claim")
    chosen = [
        *items.filter(unit__currency="USD")[:count],
        *items.filter(unit__currency="KRW")[:count],
    ]
    for n, item in enumerate(chosen):
        CreditNote.objects.create(
            number=f"CN-2026-{n + 1:05d}",
            claim=item.claim,
            item=item,
            amount=item.unit.unit_price,
            currency=item.unit.currency,
        )
    CreditNote.objects.update(issued_at=issued)


def test_a_sales_clerk_reads_the_quality_analytics(live_server, browser):
    build()
    credit_notes(6)
    clerk = User.objects.create_user(
        username="clerk", password=PASSWORD, is_staff=True, language="en"
    )
    clerk.groups.add(Group.objects.get(name="Sales staff"))
    url = live_server.url
    page = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-US").new_page()

    page.goto(f"{url}/admin/login/?next=/admin/quality/")
    page.get_by_label("Username").fill("clerk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.locator("#rates-model")).to_contain_text("QA-B")
    expect(page.locator("svg.chart-h")).to_be_visible()
    shot(page, "rates")

    page.get_by_role("link", name="Nevada table").click()
    expect(page.locator("svg.chart-heat rect.cell").first).to_be_visible()
    shot(page, "nevada")

    page.get_by_role("link", name="Breakdowns").click()
    expect(page.locator("#nff-model")).to_contain_text("QA-A")
    shot(page, "breakdowns")

    page.get_by_role("link", name="Warranty cost").click()
    expect(page.locator("#cost-totals")).to_contain_text("KRW")
    shot(page, "costs")

    page.get_by_role("link", name="Early warning", exact=True).click()
    expect(page.locator("#early-warning")).to_contain_text(B7)
    shot(page, "early-warning")

    # The filters narrow the tables; the CSV link keeps them.
    page.get_by_role("link", name="Failure rates").click()
    page.get_by_label("Model", exact=True).select_option("QA-A")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#rates-batch")).not_to_contain_text("QA-B")
    assert "model=QA-A" in page.locator("#rates-batch a.csv").get_attribute("href")

    # In Korean, as staff may choose.
    page.context.add_cookies([{"name": "django_language", "value": "ko", "url": url}])
    page.goto(f"{url}/admin/quality/")
    expect(page.locator("#rates-model h2")).to_have_text("제품 모델별 고장률")
    shot(page, "rates-ko")
    assert Decimal("0") < CreditNote.objects.first().amount
