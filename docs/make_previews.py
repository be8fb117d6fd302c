"""Render the three documents (en, ko) and a voided Return Authorization from demo data and
save their pages as PNG previews.

    DJANGO_DEBUG=1 .venv/bin/python docs/make_previews.py

Uses a throwaway SQLite database in a temporary directory (whatever DATABASE_URL says), so it
never touches real data. Rasterises with pypdfium2 (a test dependency) at 60 dpi. Writes
docs/previews/*.png.
"""

import datetime
import os
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "previews"


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="rma-previews-") as tmp:
        os.environ["RMA_VAR_DIR"] = tmp
        os.environ["DJANGO_MEDIA_ROOT"] = str(Path(tmp) / "media")
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("CELERY_BROKER_URL", None)
        os.environ.pop("CELERY_RESULT_BACKEND", None)
        os.environ.setdefault("DJANGO_DEBUG", "1")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rma_portal.settings")
        sys.path.insert(0, str(ROOT))
        for folder in ("celery/broker", "celery/processed", "celery/results"):
            (Path(tmp) / folder).mkdir(parents=True, exist_ok=True)

        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.png"):
            old.unlink()
        import pypdfium2  # the test tools' PDF rasteriser; no system package needed

        for name, document in build_documents():
            pdf = pypdfium2.PdfDocument(document.file.read())
            document.file.close()
            for index in range(len(pdf)):
                image = pdf[index].render(scale=60 / 72).to_pil()
                image.save(OUT / f"{name}-{index + 1}.png")
        for png in sorted(OUT.glob("*.png")):
            print(f"{png.relative_to(ROOT)}  {png.stat().st_size // 1024} KB")


def build_documents():
    from django.db import transaction

    from accounts.models import Organisation
    from claims import document_service
    from claims.models import Charge, Claim, ClaimItem, CreditNote, DebitNote, DocumentKind
    from warranty.models import ProductModel, Shipment, Unit

    camera = ProductModel.objects.create(code="CM-4K-120", name="4K camera module, 120°")
    dome = ProductModel.objects.create(
        code="PTZ-D30", name="PTZ dome camera 30×", mechanical_wear=True
    )

    def claim_for(org, rma, defects, currency="USD", price=Decimal("1240.00")):
        shipment = Shipment.objects.create(
            pi_number=f"PI-2025-{org.code.upper()}",
            po_number=f"PO-{org.code.upper()}-0815",
            buyer=org,
            shipment_date=datetime.date(2025, 6, 2),
            delivery_date=datetime.date(2025, 6, 10),
        )
        claim = Claim.objects.create(organisation=org, rma_number=rma, status="return_authorized")
        items = []
        for position, (serial, model, details) in enumerate(defects):
            unit = Unit.objects.create(
                serial_number=serial,
                shipment=shipment,
                product_model=model,
                unit_price=price,
                currency=currency,
            )
            items.append(
                ClaimItem.objects.create(
                    claim=claim,
                    unit=unit,
                    serial_number=serial,
                    model_code=model.code,
                    shipment_date=shipment.shipment_date,
                    po_number=shipment.po_number,
                    pi_number=shipment.pi_number,
                    defect_kind="hidden",
                    defect_date=datetime.date(2025, 12, 1),
                    defect_details=details,
                    return_authorized=True,
                    position=position,
                )
            )
        return claim, items

    acme = Organisation.objects.create(
        code="acme",
        name="ACME Security Systems GmbH",
        language="en",
        address="Industriestraße 12\n70565 Stuttgart\nGermany",
    )
    claim, items = claim_for(
        acme,
        "RMA-2026-000123",
        [
            ("CM4K-2025-000871", camera, "No image after power-on; the status LED blinks red."),
            ("CM4K-2025-000872", camera, "Horizontal noise lines in low light above 60 °C."),
            ("PTZD-2025-004410", dome, "Pan motor stalls at 170°; grinding noise when tilting."),
        ],
    )
    hanbit = Organisation.objects.create(
        code="hanbit",
        name="한빛시큐리티 주식회사",
        language="ko",
        address="서울특별시 강남구 테헤란로 152\n06236 대한민국",
    )
    claim_ko, items_ko = claim_for(
        hanbit,
        "RMA-2026-000124",
        [
            ("CM4K-2025-001201", camera, "전원을 켠 후 영상이 나오지 않습니다."),
            ("PTZD-2025-004522", dome, "틸트 동작 시 소음이 나고 모터가 멈춥니다."),
        ],
        currency="KRW",
        price=Decimal("1650000"),
    )

    # The credit note (D1) for the first unit, the debit note (D2) for the dome.
    Claim.objects.filter(pk=claim.pk).update(status="inspected")
    claim.refresh_from_db()
    credit = CreditNote.objects.create(
        number="CN-2026-00007",
        claim=claim,
        item=items[0],
        amount=Decimal("1240.00"),
        currency="USD",
    )
    debit = DebitNote.objects.create(
        number="DN-2026-00003", claim=claim, total=Decimal("185.00"), currency="USD"
    )
    Charge.objects.create(
        item=items[2],
        verification=Decimal("95.00"),
        transport=Decimal("60.00"),
        shipment=Decimal("30.00"),
        currency="USD",
        debit_note=debit,
    )

    # The same in Korean won (no decimals; D2 fees of the KRW schedule).
    credit_ko = CreditNote.objects.create(
        number="CN-2026-00008",
        claim=claim_ko,
        item=items_ko[0],
        amount=Decimal("1650000"),
        currency="KRW",
    )
    debit_ko = DebitNote.objects.create(
        number="DN-2026-00004", claim=claim_ko, total=Decimal("145000"), currency="KRW"
    )
    Charge.objects.create(
        item=items_ko[1],
        verification=Decimal("65000"),
        transport=Decimal("40000"),
        shipment=Decimal("40000"),
        currency="KRW",
        debit_note=debit_ko,
    )

    wanted = [
        ("return_authorization", claim, DocumentKind.RETURN_AUTHORIZATION, {}),
        ("credit_note", claim, DocumentKind.CREDIT_NOTE, {"credit_note": credit}),
        ("debit_note", claim, DocumentKind.DEBIT_NOTE, {"debit_note": debit}),
        ("return_authorization-ko", claim_ko, DocumentKind.RETURN_AUTHORIZATION, {}),
        ("credit_note-ko", claim_ko, DocumentKind.CREDIT_NOTE, {"credit_note": credit_ko}),
        ("debit_note-ko", claim_ko, DocumentKind.DEBIT_NOTE, {"debit_note": debit_ko}),
    ]
    for name, for_claim, kind, notes in wanted:
        with transaction.atomic():
            document = document_service.request_document(claim=for_claim, kind=kind, **notes)
        yield name, document_service.render(document)

    # A voided Return Authorization (issue 17): reissued, it carries the VOID mark on every page.
    from accounts.models import User
    from claims.actors import Actor
    from claims.models import Document

    clerk = User.objects.create(username="clerk", is_staff=True)
    voided = Document.objects.get(claim=claim, kind=DocumentKind.RETURN_AUTHORIZATION, valid=True)
    with transaction.atomic():
        document_service.reissue_document(
            actor=Actor.staff(clerk), document=voided, reason="Ship-to address corrected."
        )
    yield "return_authorization-void", document_service.render(voided)


if __name__ == "__main__":
    main()
