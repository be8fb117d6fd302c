"""The buyer portal end to end in a real browser: Debian's Chromium driven by Playwright against a
live server (no browser download: ``executable_path=/usr/bin/chromium``).

A buyer signs in, checks a unit's warranty, files a two-unit claim with a photo while the live
verdict updates, and gets the RMA number; CPRO authorizes the return, the buyer downloads the
Return Authorization PDF, then reads the claim in Korean. Screenshots of the main pages go to
docs/screenshots/ (overwritten on each run).
"""

import io
import re
from pathlib import Path

import pytest
from django.db import connections
from PIL import Image
from playwright.sync_api import expect, sync_playwright

from accounts.models import User
from claims import document_service, services
from claims.actors import Actor
from claims.models import Attachment, Claim, Document, DocumentKind
from tests.factories import UserFactory

from .helpers import PASSWORD, days_ago, make_unit, submitted_for

# A live server needs committed data (transaction=True). The tables migrations fill are flushed
# afterwards, as by every transactional test here; the fixtures put back what the portal needs.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
RMA = re.compile(r"RMA-\d{4}-\d{6}")


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are ordinary blocking calls all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Django's connections are context-local (asgiref): the test's ORM calls, made while
        # Playwright's event loop is set, got a connection of their own. Close it here, or it
        # keeps the test database open past the session.
        connections.close_all()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def photo(tmp_path) -> Path:
    """A real photo-like PNG, made with Pillow."""
    image = Image.new("RGB", (320, 240), (40, 40, 48))
    for x in range(320):
        for y in range(100, 140):
            image.putpixel((x, y), (200, (x * 3) % 256, 60))
    path = tmp_path / "cracked-lens.png"
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_buyer_files_a_claim_and_downloads_the_return_authorization(
    live_server, browser, org, model, tmp_path
):
    buyer = UserFactory(username="ann", organisation=org)
    first = make_unit(org, model, "DC2-0001", delivered_days_ago=40, po="PO-7731")
    second = make_unit(org, model, "DC2-0002", delivered_days_ago=40, po="PO-7731")
    make_unit(org, model, "DC2-0003", delivered_days_ago=500, po="PO-6120")
    make_unit(org, model, "DC2-0004", delivered_days_ago=800, po="PO-5004")  # W1 ended
    staff = User.objects.create_user(username="clerk", password=PASSWORD, is_staff=True)
    url = live_server.url

    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="en-US"
    )
    page = context.new_page()

    # Sign in.
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme Vision")

    # Units with their warranty today, and one unit's explained verdict.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Units").click()
    expect(page.get_by_role("row", name=re.compile("DC2-0004"))).to_contain_text("Ended")
    shot(page, "units")
    page.get_by_role("link", name="DC2-0001").click()
    expect(page.locator(".verdict")).to_contain_text("Covered")
    shot(page, "unit-verdict")

    # The warranty check of a prospective claim: the failed part is third-party (W2).
    page.goto(f"{url}/warranty/")
    page.get_by_label("Serial number").fill("DC2-0001")
    page.get_by_label("Kind of defect").select_option("hidden")
    page.get_by_label("Date of receipt or discovery").fill(days_ago(3).isoformat())
    page.get_by_label("Serial number").press("Tab")  # the serial's change reloads the components
    expect(page.locator("#id_component option", has_text="microSD card")).to_have_count(1)
    page.get_by_label("Failed component").select_option("microSD card")
    page.get_by_role("button", name="Check the warranty").click()
    result = page.locator("#result")
    expect(result).to_contain_text("Not covered")
    expect(result).to_contain_text("W2")
    shot(page, "warranty-check")

    # A two-unit claim with a photo; the verdict and N1 deadline follow the typing.
    page.goto(f"{url}/claims/new/")
    page.locator("#id_items-0-serial_number").fill("DC2-0001")
    page.locator("#id_items-0-defect_kind").select_option("hidden")
    page.locator("#id_items-0-defect_date").fill(days_ago(2).isoformat())
    live = page.locator("#items-0-verdict")
    expect(live).to_contain_text("Covered")
    expect(live).to_contain_text("Notice deadline (N1)")
    page.locator("#id_items-0-reason").select_option("no_image")
    page.locator("#id_items-0-component").select_option("Front camera module")
    expect(live).to_contain_text("W3")  # the integrated camera module's 12 months
    page.locator("#id_items-0-defect_details").fill("No image from the front camera.")
    live.get_by_role("button", name="Fill the empty fields from these records").click()
    expect(page.locator("#id_items-0-po_number")).to_have_value("PO-7731")
    page.locator("#id_items-0-evidence").set_input_files(str(photo(tmp_path)))

    page.get_by_role("button", name="Add another unit").click()
    page.locator("#id_items-1-serial_number").fill("DC2-0002")
    page.locator("#id_items-1-defect_kind").select_option("manifest")
    page.locator("#id_items-1-defect_date").fill(days_ago(1).isoformat())
    page.locator("#id_items-1-defect_details").fill("Housing cracked on arrival.")
    second_live = page.locator("#items-1-verdict")
    expect(second_live).to_contain_text("Covered")
    second_live.get_by_role("button", name="Fill the empty fields from these records").click()
    expect(page.locator("#id_items-1-pi_number")).to_have_value(second.shipment.pi_number)
    shot(page, "new-claim-live-verdict")

    page.get_by_role("button", name="Submit the claim").click()
    rma_box = page.locator(".rma-box")
    expect(rma_box).to_contain_text(RMA)
    expect(rma_box).to_contain_text("The RMA number is not an acknowledgement of the defect")
    rma_number = RMA.search(rma_box.inner_text()).group(0)
    claim = Claim.objects.get(rma_number=rma_number)
    assert claim.status == "submitted" and claim.organisation == org
    expect(rma_box).to_contain_text(claim.hold_until.isoformat())
    assert sorted(claim.items.values_list("serial_number", flat=True)) == [
        first.serial_number,
        second.serial_number,
    ]
    evidence = Attachment.objects.get(claim=claim)
    assert evidence.content_type == "image/png" and evidence.item.serial_number == "DC2-0001"

    # CPRO authorizes the return (R1); the Return Authorization is rendered right away here.
    services.authorize_return(actor=Actor.staff(staff), claim=claim)
    document = Document.objects.get(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION)
    document_service.render(document)

    page.reload()
    expect(page.locator("#ship-heading")).to_be_visible()
    link = page.get_by_role("link", name=re.compile("Return Authorization"))
    with page.expect_download() as download_info:
        link.click()
    pdf = Path(download_info.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert download_info.value.suggested_filename == f"{rma_number}-return_authorization.pdf"
    shot(page, "claim")

    # The dashboard now tells the buyer to ship the goods (R1).
    page.goto(f"{url}/")
    expect(page.locator("table.list")).to_contain_text(rma_number)
    expect(page.locator("table.list")).to_contain_text("ship the authorized items")
    shot(page, "dashboard")
    page.goto(f"{url}/claims/{claim.pk}/")

    # Korean, switched by the buyer and remembered for their account.
    page.locator("#language-select").select_option("ko")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator(".rma-box")).to_contain_text("RMA 번호는 하자를 인정하는 것이 아닙니다")
    expect(page.get_by_role("heading", name="타임라인")).to_be_visible()
    shot(page, "claim-ko")
    buyer.refresh_from_db()
    assert buyer.language == "ko"

    # Phone width (in Korean now): the dashboard and the claim page, in one column.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.add_cookies(context.cookies())
    mobile = phone.new_page()
    mobile.goto(f"{url}/")
    expect(mobile.get_by_role("heading", level=1)).to_be_visible()
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the dashboard scrolls sideways at phone width ({width}px)"
    shot(mobile, "phone-dashboard")
    mobile.goto(f"{url}/claims/{claim.pk}/")
    shot(mobile, "phone-claim")
    phone.close()
    context.close()


def test_the_verification_page_shows_three_clearly_different_states(
    live_server, browser, org, model
):
    buyer = UserFactory(username="vera", organisation=org)
    claim = submitted_for(buyer, [make_unit(org, model, "DC2-0101")])
    staff = Actor.staff(User.objects.create_user(username="clerk", is_staff=True))
    services.authorize_return(actor=staff, claim=claim)
    old = document_service.render(claim.documents.get())
    new = document_service.render(
        document_service.reissue_document(actor=staff, document=old, reason="Address changed.")
    )
    page = browser.new_context(viewport={"width": 1000, "height": 800}, locale="en-US").new_page()
    colours = {}
    for name, code in [
        ("verify-valid", new.display_code),
        ("verify-void", old.display_code),
        ("verify-unknown", "ZZZZ-ZZZZ-ZZZZ"),
    ]:
        page.goto(f"{live_server.url}/verify/{code}/")
        box = page.locator(".verification .check")
        colours[name] = box.evaluate("e => getComputedStyle(e).borderTopColor")
        shot(page, name)
        if name == "verify-valid":
            expect(box).to_contain_text("Genuine and valid")
        elif name == "verify-void":
            expect(box).to_contain_text("Genuine, but no longer valid")
            expect(box).to_contain_text("Replaced by a newer issue")
            expect(box).to_contain_text(new.display_code)
            expect(box).not_to_contain_text("Address changed.")
        else:
            expect(box).to_contain_text("Unknown code")
    assert len(set(colours.values())) == 3, colours  # told apart by colour as well as words

    # The button does not touch the input.
    field = page.locator("#code").bounding_box()
    button = page.get_by_role("button", name="Verify").bounding_box()
    assert button["y"] >= field["y"] + field["height"] + 4

    page.context.add_cookies([{"name": "django_language", "value": "ko", "url": live_server.url}])
    page.goto(f"{live_server.url}/verify/{old.display_code}/")
    expect(page.locator(".verification .check")).to_contain_text(
        "진본이지만 더 이상 유효하지 않습니다"
    )
    shot(page, "verify-void-ko")
