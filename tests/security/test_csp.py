"""Threat: script injection. Every response carries a Content-Security-Policy (Django's own
middleware) that allows scripts only from our origin or with the request's nonce; Chromium,
walking the buyer's journey, the admin and the API docs, reports no violation, and refuses an
injected inline script."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.db import connections
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from accounts.models import User
from accounts.services import create_api_key
from tests.factories import UserFactory
from tests.portal.conftest import model, org, terms  # noqa: F401 - fixtures
from tests.portal.helpers import PASSWORD, days_ago, make_unit, submitted_for

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

ROUTES = {
    "portal page": "/accounts/login/",
    "portal error page": "/no-such-page/",
    "verification page": "/verify/",
    "admin": "/admin/login/",
    "API": "/api/v1/claims/",
    "API docs": "/api/v1/docs/",
    "API schema": "/api/v1/schema/",
    "health check": "/healthz",
}


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


@pytest.mark.parametrize("family", ROUTES)
def test_every_route_family_carries_the_policy(db, family):
    response = Client().get(ROUTES[family])

    directives = policy(response)
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in directives["script-src"]
    assert "unsafe-eval" not in directives["script-src"]


def test_a_page_with_an_inline_style_gets_a_fresh_nonce_each_time(db):
    first = Client().get("/api/v1/docs/")
    second = Client().get("/api/v1/docs/")

    nonce = re.search(r"'nonce-([^']+)'", policy(first)["style-src"]).group(1)
    assert f'nonce="{nonce}"' in first.text
    assert nonce not in policy(second)["style-src"]


# --- In Chromium ---------------------------------------------------------------------------------

COLLECT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


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


class Watch:
    """One browser tab that records every CSP violation, from events and from the console."""

    def __init__(self, browser):
        self.context = browser.new_context(locale="en-US")
        self.context.add_init_script(COLLECT)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on(
            "console",
            lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None,
        )
        self.seen: list[str] = []

    def visit(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
        self.check()

    def check(self) -> None:
        self.seen.extend(self.page.evaluate("window.__csp || []"))
        self.seen.extend(self.console)
        self.console.clear()

    def violations(self) -> list[str]:
        self.check()
        return self.seen


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_violation_on_the_buyer_journey(live_server, browser, org, model):  # noqa: F811
    buyer = UserFactory(username="ann", organisation=org)
    unit = make_unit(org, model, "DC2-0001", delivered_days_ago=40, po="PO-7731")
    make_unit(org, model, "DC2-0002", delivered_days_ago=40, po="PO-7731")
    claim = submitted_for(buyer, [unit])
    url = live_server.url
    tab = Watch(browser)

    tab.visit(f"{url}/accounts/login/")
    tab.page.get_by_label("Username").fill("ann")
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Sign in").click()
    expect(tab.page.get_by_role("heading", level=1)).to_contain_text("Acme Vision")
    for path in ["/", "/units/", "/units/DC2-0001/", "/claims/", f"/claims/{claim.pk}/"]:
        tab.visit(url + path)

    # htmx: the live warranty check and the wizard's live verdict; portal.js adds a row.
    tab.visit(f"{url}/warranty/")
    tab.page.get_by_label("Serial number").fill("DC2-0002")
    tab.page.get_by_label("Kind of defect").select_option("hidden")
    tab.page.get_by_label("Date of receipt or discovery").fill(days_ago(3).isoformat())
    tab.page.get_by_label("Serial number").press("Tab")  # htmx reloads the components
    expect(tab.page.locator("#id_component option", has_text="Main board")).to_have_count(1)
    tab.page.get_by_label("Failed component").select_option("Main board")
    tab.page.get_by_role("button", name="Check the warranty").click()
    expect(tab.page.locator("#result")).to_contain_text("Covered")
    tab.visit(f"{url}/claims/new/")
    tab.page.locator("#id_items-0-serial_number").fill("DC2-0002")
    tab.page.locator("#id_items-0-defect_kind").select_option("hidden")
    tab.page.locator("#id_items-0-defect_date").fill(days_ago(2).isoformat())
    expect(tab.page.locator("#items-0-verdict")).to_contain_text("Covered")
    tab.page.get_by_role("button", name="Add another unit").click()
    expect(tab.page.locator("#id_items-1-serial_number")).to_be_visible()
    tab.visit(f"{url}/verify/")

    assert tab.violations() == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_violation_in_the_admin_or_the_api_docs(live_server, browser, org, model):  # noqa: F811
    buyer = UserFactory(username="ann", organisation=org)
    claim = submitted_for(buyer, [make_unit(org, model, "DC2-0001", delivered_days_ago=40)])
    User.objects.create_superuser(username="boss", password=PASSWORD, email="b@cpro.example")
    Group.objects.get_or_create(name="Sales staff")
    create_api_key(organisation=org, label="docs")
    url = live_server.url
    tab = Watch(browser)

    tab.visit(f"{url}/admin/login/")
    tab.page.get_by_label("Username").fill("boss")
    tab.page.get_by_label("Password").fill(PASSWORD)
    tab.page.get_by_role("button", name="Log in").click()
    expect(tab.page.locator("#site-name")).to_be_visible()
    for path in [
        "/admin/",
        "/admin/claims/claim/",
        f"/admin/claims/claim/{claim.pk}/change/",
        "/admin/claims/claim/dashboard/",
        "/admin/accounts/user/add/",
        "/admin/axes/accessattempt/",
    ]:
        tab.visit(url + path)
    tab.page.goto(f"{url}/admin/claims/claim/")
    tab.page.locator("#searchbar").fill("RMA")
    tab.page.locator("#searchbar").press("Enter")
    tab.page.wait_for_load_state("networkidle")

    tab.visit(f"{url}/api/v1/docs/")
    expect(tab.page.locator(".swagger-ui .info .title")).to_contain_text("CPRO RMA Portal API")

    assert tab.violations() == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_injected_inline_script_is_refused_and_reported(live_server, browser, org):  # noqa: F811
    tab = Watch(browser)
    tab.visit(f"{live_server.url}/accounts/login/")

    tab.page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__pwned = true'; document.body.append(s); }"""
    )
    tab.page.wait_for_timeout(200)

    assert tab.page.evaluate("window.__pwned === true") is False
    assert any(v.startswith("script-src") for v in tab.violations())
