"""Time the Return Authorization PDF beside WeasyPrint on the same HTML, for 3 and 200 items.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rma_portal \
        .venv/bin/python bench/render_document.py

Works in its own scratch database (``--database``, default ``rma_bench_render``), where each run
writes two claims (3 and 200 return-authorized items) and their RA documents. For each:

- ours:   ``claims.document_rendering.render_pdf(document)``: view-model, template, WeasyPrint;
- anchor: WeasyPrint alone, ``HTML(string=…).write_pdf(stylesheets=[…])`` on the very HTML ours
  renders and the documents' stylesheet, as a plain call does it: the CSS parsed and the fonts
  configured on every call (ours does both once per process, ``weasyprint_setup``).

One warm-up each, then the median of ``--runs``, ours and the anchor timed in turns (a change of
load weighs on both alike); also the queries ``render_pdf`` makes (the same for 3 and 200 items
when the items are read in one query; tests/claims/test_document_queries.py checks the worker's
whole step) and the pages.
"""

import argparse
import datetime
import logging
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

from _scratch import setup_django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def make_claim(items: int, tag: str):
    from django.db import transaction

    from accounts.models import Organisation
    from claims import document_service
    from claims.models import Claim, ClaimItem, DocumentKind
    from warranty.models import ProductModel, Shipment, Unit

    org, _ = Organisation.objects.get_or_create(
        code="bench-render",
        defaults={"name": "ACME Security Systems GmbH", "address": "Industriestraße 12\nStuttgart"},
    )
    model, _ = ProductModel.objects.get_or_create(code="CM-4K-120", defaults={"name": "4K module"})
    # Identifiers as long as real ones (seed_demo, the previews: "CM4K-2025-000871",
    # "CP-PI-1001"), unique within the scratch database by its count of shipments.
    run = Shipment.objects.count() + 1
    stamp = f"{tag}-{run:05d}"
    shipment = Shipment.objects.create(
        pi_number=f"PI-{stamp}",
        po_number=f"PO-{stamp}",
        buyer=org,
        shipment_date=datetime.date(2025, 6, 2),
        delivery_date=datetime.date(2025, 6, 10),
    )
    claim = Claim.objects.create(
        organisation=org, rma_number=f"RMA-2026-{run:06d}", status="return_authorized"
    )
    for position in range(items):
        unit = Unit.objects.create(
            serial_number=f"CM4K-{run:05d}-{position:04d}",
            shipment=shipment,
            product_model=model,
            unit_price=Decimal("1240.00"),
            currency="USD",
        )
        ClaimItem.objects.create(
            claim=claim,
            unit=unit,
            serial_number=unit.serial_number,
            model_code=model.code,
            shipment_date=shipment.shipment_date,
            po_number=shipment.po_number,
            pi_number=shipment.pi_number,
            defect_kind="hidden",
            defect_date=datetime.date(2025, 12, 1),
            defect_details="No image after power-on; the status LED blinks red.",
            return_authorized=True,
            position=position,
        )
    with transaction.atomic():
        return document_service.request_document(
            claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION
        )


def median_ms(functions, runs: int) -> list[float]:
    """The median of each function's ``runs`` timings, run in turns (ours, anchor, ours…) so
    that a change of the machine's load meanwhile weighs on both alike."""
    for function in functions:
        function()  # warm-up
    times = [[] for _ in functions]
    for _ in range(runs):
        for function, timings in zip(functions, times, strict=True):
            started = time.perf_counter()
            function()
            timings.append(time.perf_counter() - started)
    return [statistics.median(timings) * 1000 for timings in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default="rma_bench_render")
    args = parser.parse_args()
    setup_django(args.database)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)

    from django.conf import settings
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    from claims import document_rendering

    stylesheet = str(document_rendering.STYLESHEET)
    for items in (3, 200):
        document = make_claim(items, f"R{items}")

        def ours(document=document):
            return document_rendering.render_pdf(document)

        with translation.override(document.language):
            html = render_to_string(
                f"documents/{document.kind}.html", document_rendering.document_context(document)
            )

        def anchor(html=html):
            fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
            return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=fetcher)

        pages = len(anchor().render(stylesheets=[stylesheet]).pages)
        ours_ms, anchor_ms = median_ms(
            [ours, lambda anchor=anchor: anchor().write_pdf(stylesheets=[stylesheet])], args.runs
        )
        with CaptureQueriesContext(connection) as captured:
            ours()
        print(
            f"RA, {items:3d} items, {pages:2d} pages: ours {ours_ms:6.0f} ms "
            f"({len(captured)} queries), WeasyPrint on the same HTML {anchor_ms:6.0f} ms, "
            f"ratio {ours_ms / anchor_ms:.2f}x"
        )


if __name__ == "__main__":
    main()
