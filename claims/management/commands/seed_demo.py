"""`manage.py seed_demo`: demo organisations, products, shipments and logins for `./dev up`.

Idempotent: a second run changes nothing. Products and shipments go through the same CSV commands
staff use (`import_products`, `import_shipments`), whose re-imports change nothing by design.

Delivery dates are counted back from an anchor date, so that every warranty outcome occurs: within
12 months, between 12 and 24 months (camera modules W3 and mechanical wear W4 ended, standard W1
still running), over 24 months, and a shipment whose delivery date is unknown (start = shipment
date). The anchor is today on the first run; later runs read it back from the demo shipments
already stored, so the same PI never gets different dates.

Claims: the first run also files demo claims for the demo buyers, through the claim services
(``claims.services``) exactly as the portal and the admin do, so every event
log is genuine. One claim per interesting status: draft (notice deadline two days away),
submitted (one covered item, one expired), info_requested, return_authorized (its Return
Authorization document is requested by the normal trigger; the Celery worker renders it), closed
(returned, inspected, credit note issued), and a submitted claim of the Korean buyer. Claims are
created only while the buyer organisation has none, so later runs leave them alone. Defect dates
are counted back from today (the services give the notice today), never before delivery.
"""

import csv
import os
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.services import create_organisation, ensure_user
from claims import services
from claims.actors import Actor
from claims.models import Claim
from rma_portal.exceptions import DomainError
from warranty.models import ProductModel, Shipment, Unit
from warranty.selectors import seoul_today

DEMO_PASSWORD = "demo-pass-2026"
SALES_STAFF_GROUP = "Sales staff"  # created by accounts/migrations/0002_sales_staff_group.py

# code, name, language, is_partner
ORGANISATIONS = [
    ("acme-vision", "Acme Vision Systems Ltd.", "en", False),
    ("hanbit", "한빛전자", "ko", False),
    ("nordic-sec", "Nordic Security AB", "en", False),
    ("sentinel", "Sentinel Integration GmbH", "en", True),
]

# username, email, organisation code (None: CPRO staff), staff group, language ("" = the org's)
USERS = [
    ("clerk", "clerk@cpro.example", None, SALES_STAFF_GROUP, ""),
    ("buyer", "buyer@acme-vision.example", "acme-vision", None, ""),
    ("buyer-ko", "buyer-ko@hanbit.example", "hanbit", None, ""),
]

# model_code, name, is_camera_module (W3), mechanical_wear (W4), components ("kind:name")
PRODUCTS = [
    # Stand-alone camera modules: 12 months (W3).
    (
        "CM-IMX415",
        "CM-IMX415 4K camera module",
        True,
        False,
        "standard:Image sensor board;standard:Lens holder;third_party:FPC cable",
    ),
    (
        "CM-IMX335",
        "CM-IMX335 5MP camera module",
        True,
        False,
        "standard:Image sensor board;third_party:M12 lens",
    ),
    (
        "CM-AR0234",
        "CM-AR0234 global-shutter camera module",
        True,
        False,
        "standard:Image sensor board;third_party:MIPI cable",
    ),
    (
        "CM-OV5640AF",
        "CM-OV5640 autofocus camera module",
        True,
        False,
        "standard:Image sensor board;mechanical:Autofocus VCM actuator",
    ),
    (
        "CM-IMX462",
        "CM-IMX462 low-light camera module",
        True,
        False,
        "standard:Image sensor board;standard:ISP board",
    ),
    (
        "CM-U3-IMX290",
        "USB 3.0 camera module IMX290",
        True,
        False,
        "standard:Image sensor board;standard:USB bridge board;third_party:USB 3.0 cable",
    ),
    # Products with an integrated camera module (W3 for that component, W1 for the rest).
    (
        "DC-200",
        "Dash cam DC-200, dual channel",
        False,
        False,
        "camera_module:Front camera module;camera_module:Rear camera module;"
        "standard:Main board;standard:GPS antenna;third_party:microSD card;"
        "third_party:Car power adapter",
    ),
    (
        "IPC-B400",
        "Bullet IP camera 4MP",
        False,
        False,
        "camera_module:Camera module;standard:IR LED board;standard:Housing;"
        "third_party:PoE injector",
    ),
    (
        "IVC-5000",
        "Industrial vision camera GigE 5MP",
        False,
        False,
        "camera_module:Sensor module;standard:GigE interface board;third_party:C-mount lens",
    ),
    (
        "BWC-10",
        "Body-worn camera BWC-10",
        False,
        False,
        "camera_module:Camera module;standard:Main board;mechanical:Clip mount;"
        "third_party:Li-ion battery pack",
    ),
    (
        "VDB-2",
        "Video doorbell VDB-2",
        False,
        False,
        "camera_module:Camera module;mechanical:Push button;standard:Main board;"
        "third_party:Chime transformer",
    ),
    (
        "FE-12",
        "Fisheye panoramic camera 12MP",
        False,
        False,
        "camera_module:Fisheye camera module;standard:Main board;standard:Dome cover",
    ),
    (
        "ANPR-700",
        "ANPR traffic camera",
        False,
        False,
        "camera_module:Camera module;standard:IR illuminator;standard:Main board;"
        "third_party:Surge protector",
    ),
    # Products subject to mechanical wear: 12 months for the whole product (W4).
    (
        "PTZ-D320",
        "PTZ dome camera 32x",
        False,
        True,
        "camera_module:Zoom camera module;mechanical:Pan-tilt motor assembly;"
        "mechanical:Slip ring;standard:Main board;third_party:PoE power supply",
    ),
    (
        "GMB-3X",
        "3-axis handheld gimbal",
        False,
        True,
        "mechanical:Pan motor;mechanical:Tilt motor;mechanical:Roll motor;"
        "standard:IMU control board;third_party:18650 battery",
    ),
    (
        "PTH-50",
        "Pan-tilt head PTH-50, heavy duty",
        False,
        True,
        "mechanical:Worm gear set;standard:Controller board;third_party:Power supply",
    ),
    (
        "SLD-1500",
        "Motorized camera slider 1.5 m",
        False,
        True,
        "mechanical:Belt drive;mechanical:Stepper motor;standard:Controller board",
    ),
    (
        "ZL-1050",
        "Motorized zoom lens 10-50 mm",
        False,
        True,
        "mechanical:Zoom motor;mechanical:Focus motor;standard:Lens barrel",
    ),
    (
        "JOY-KB3",
        "PTZ control keyboard with joystick",
        False,
        True,
        "mechanical:3-axis joystick;standard:Control board;third_party:Power adapter",
    ),
    # Standard products with mechanical and third-party components (W4 / W2 per component).
    (
        "NVR-16",
        "16-channel network video recorder",
        False,
        False,
        "standard:Main board;mechanical:Cooling fan;third_party:Hard disk drive 4 TB;"
        "third_party:Power adapter",
    ),
    (
        "ENC-4K",
        "4K video encoder",
        False,
        False,
        "standard:Encoder board;mechanical:Cooling fan;third_party:HDMI cable",
    ),
    (
        "HSG-67W",
        "Outdoor camera housing IP67 with wiper",
        False,
        False,
        "standard:Housing;standard:Heater;mechanical:Wiper motor",
    ),
    (
        "POE-8",
        "8-port PoE switch",
        False,
        False,
        "standard:Switch board;mechanical:Cooling fan;third_party:Power supply unit",
    ),
    (
        "IRI-850",
        "IR illuminator 850 nm",
        False,
        False,
        "standard:LED array;third_party:Power adapter",
    ),
]
MODEL_INDEX = {code: index for index, (code, *_rest) in enumerate(PRODUCTS, start=1)}


@dataclass(frozen=True)
class DemoShipment:
    pi_number: str
    po_number: str
    buyer: str
    delivered_days_ago: int | None  # None: delivery date unknown
    shipped_days_ago: int
    lines: tuple[tuple[str, int, str, str], ...]  # model code, quantity, unit price, currency


SHIPMENTS = [
    DemoShipment(
        "CP-PI-1001",
        "AV-PO-7781",
        "acme-vision",
        5,
        12,
        (("CM-IMX415", 20, "38.50", "USD"), ("DC-200", 10, "129.00", "USD")),
    ),
    DemoShipment(
        "CP-PI-1002",
        "HB-PO-0412",
        "hanbit",
        30,
        34,
        (
            ("IPC-B400", 15, "118000.00", "KRW"),
            ("GMB-3X", 8, "265000.00", "KRW"),
            ("NVR-16", 4, "540000.00", "KRW"),
        ),
    ),
    DemoShipment(
        "CP-PI-1003",
        "SI-4500-118",
        "sentinel",
        45,
        52,
        (("PTZ-D320", 6, "780.00", "EUR"), ("POE-8", 6, "145.00", "EUR")),
    ),
    DemoShipment(
        "CP-PI-1004",
        "AV-PO-7702",
        "acme-vision",
        120,
        127,
        (("IVC-5000", 12, "410.00", "USD"), ("CM-AR0234", 20, "52.00", "USD")),
    ),
    DemoShipment(
        "CP-PI-1005",
        "SI-4500-097",
        "sentinel",
        200,
        209,
        (("ANPR-700", 5, "1250.00", "EUR"), ("ZL-1050", 8, "330.00", "EUR")),
    ),
    DemoShipment(
        "CP-PI-1006",
        "NS-2231",
        "nordic-sec",
        340,
        347,
        (("FE-12", 10, "365.00", "EUR"), ("HSG-67W", 10, "98.00", "EUR")),
    ),
    DemoShipment(
        "CP-PI-1007",
        "HB-PO-0377",
        "hanbit",
        None,
        380,
        (("CM-IMX335", 25, "41000.00", "KRW"), ("VDB-2", 12, "89000.00", "KRW")),
    ),
    DemoShipment(
        "CP-PI-1008",
        "AV-PO-7540",
        "acme-vision",
        400,
        408,
        (
            ("CM-IMX415", 15, "39.00", "USD"),
            ("PTZ-D320", 4, "820.00", "USD"),
            ("NVR-16", 3, "410.00", "USD"),
            ("BWC-10", 10, "210.00", "USD"),
        ),
    ),
    DemoShipment(
        "CP-PI-1009",
        "HB-PO-0301",
        "hanbit",
        550,
        555,
        (("DC-200", 20, "158000.00", "KRW"), ("SLD-1500", 5, "420000.00", "KRW")),
    ),
    DemoShipment(
        "CP-PI-1010",
        "HB-PO-0254",
        "hanbit",
        700,
        704,
        (("CM-OV5640AF", 20, "24000.00", "KRW"), ("ENC-4K", 6, "310000.00", "KRW")),
    ),
    DemoShipment(
        "CP-PI-1011",
        "SI-4500-031",
        "sentinel",
        740,
        748,
        (("PTH-50", 4, "960.00", "EUR"), ("JOY-KB3", 4, "540.00", "EUR")),
    ),
    DemoShipment(
        "CP-PI-1012",
        "NS-2087",
        "nordic-sec",
        800,
        807,
        (("CM-IMX462", 16, "47.00", "EUR"), ("IRI-850", 10, "64.00", "EUR")),
    ),
    DemoShipment(
        "CP-PI-1013",
        "HB-PO-0188",
        "hanbit",
        900,
        904,
        (("CM-U3-IMX290", 12, "61000.00", "KRW"), ("IPC-B400", 10, "121000.00", "KRW")),
    ),
    DemoShipment(
        "CP-PI-1014",
        "AV-PO-7102",
        "acme-vision",
        1000,
        1009,
        (("IVC-5000", 6, "395.00", "USD"), ("GMB-3X", 6, "199.00", "USD")),
    ),
]

PRODUCT_COLUMNS = ["model_code", "name", "is_camera_module", "mechanical_wear", "components"]
SHIPMENT_COLUMNS = [
    "pi_number",
    "po_number",
    "buyer",
    "shipment_date",
    "delivery_date",
    "serial_number",
    "model_code",
    "unit_price",
    "currency",
]


def _bool(value: bool) -> str:
    return "true" if value else "false"


def product_rows() -> list[dict[str, str]]:
    return [
        {
            "model_code": code,
            "name": name,
            "is_camera_module": _bool(camera),
            "mechanical_wear": _bool(wear),
            "components": components,
        }
        for code, name, camera, wear, components in PRODUCTS
    ]


def shipment_rows(anchor: date) -> list[dict[str, str]]:
    """One row per unit; serials ``CP{model index:02d}{n:06d}`` are the same on every run."""
    rows = []
    next_serial = dict.fromkeys(MODEL_INDEX, 1)
    for shipment in SHIPMENTS:
        shipped = anchor - timedelta(days=shipment.shipped_days_ago)
        delivered = (
            ""
            if shipment.delivered_days_ago is None
            else (anchor - timedelta(days=shipment.delivered_days_ago)).isoformat()
        )
        for model_code, quantity, price, currency in shipment.lines:
            for _ in range(quantity):
                n = next_serial[model_code]
                next_serial[model_code] += 1
                rows.append(
                    {
                        "pi_number": shipment.pi_number,
                        "po_number": shipment.po_number,
                        "buyer": shipment.buyer,
                        "shipment_date": shipped.isoformat(),
                        "delivery_date": delivered,
                        "serial_number": f"CP{MODEL_INDEX[model_code]:02d}{n:06d}",
                        "model_code": model_code,
                        "unit_price": str(Decimal(price)),
                        "currency": currency,
                    }
                )
    return rows


def demo_anchor() -> date:
    """Today on the first run; afterwards the date the stored demo shipments were counted from."""
    by_pi = {shipment.pi_number: shipment for shipment in SHIPMENTS}
    stored = (
        Shipment.objects.filter(pi_number__in=by_pi)
        .order_by("pi_number")
        .values_list("pi_number", "shipment_date")
        .first()
    )
    if stored is None:
        return timezone.localdate()  # Seoul date (settings.TIME_ZONE), as the terms count (N1)
    pi_number, shipment_date = stored
    return shipment_date + timedelta(days=by_pi[pi_number].shipped_days_ago)


CLAIM_ORGS = ("acme-vision", "hanbit")


class DemoClaims:
    """Files demo claims through the services, for one buyer with the clerk reviewing."""

    def __init__(self, buyer: Actor, clerk: Actor) -> None:
        self.buyer = buyer
        self.clerk = clerk
        self.today = seoul_today()  # the services notify today (Seoul), so count from it too
        self.used: set[int] = set()

    def item(
        self, pi_number: str, model_code: str, *, kind: str, days_ago: int, details: str, **extra
    ) -> dict:
        """One item on the next unused unit of ``model_code`` in ``pi_number``, N3 fields filled.

        The defect date is ``days_ago`` days back, but never before the warranty started."""
        unit = (
            Unit.objects.select_related("shipment", "product_model")
            .filter(shipment__pi_number=pi_number, product_model__code=model_code)
            .exclude(pk__in=self.used)
            .order_by("serial_number")
            .first()
        )
        if unit is None:
            raise CommandError(f"No demo unit of {model_code} left in {pi_number}.")
        self.used.add(unit.pk)
        shipment = unit.shipment
        defect_date = max(self.today - timedelta(days=days_ago), shipment.warranty_start)
        return {
            "serial_number": unit.serial_number,
            "model_code": model_code,
            "shipment_date": shipment.shipment_date.isoformat(),
            "po_number": shipment.po_number,
            "pi_number": pi_number,
            "defect_kind": kind,
            "defect_date": defect_date.isoformat(),
            "defect_details": details,
            **extra,
        }

    def draft(self, items: list[dict], reference: str) -> Claim:
        return services.create_draft(actor=self.buyer, items=items, buyer_reference=reference)

    def submitted(self, items: list[dict], reference: str) -> Claim:
        claim = self.draft(items, reference)
        services.submit(actor=self.buyer, claim=claim)
        return claim


def _acme_claims(demo: DemoClaims) -> list[Claim]:
    # Draft: a hidden defect found 6 days ago; the N1 notice deadline (8 days) is 2 days away.
    draft = demo.draft(
        [
            demo.item(
                "CP-PI-1004",
                "IVC-5000",
                kind="hidden",
                days_ago=6,
                details="Frames drop every few minutes on the GigE link; cable and switch swapped.",
                component="GigE interface board",
                reason="intermittent_image",
            )
        ],
        "AV-QA-301",
    )
    # Submitted, two items: delivered days ago (covered), and delivered ~33 months ago (W1
    # period over, not covered).
    submitted = demo.submitted(
        [
            demo.item(
                "CP-PI-1001",
                "DC-200",
                kind="manifest",
                days_ago=2,
                details="Rear channel shows no image out of the box.",
                component="Rear camera module",
                reason="no_image",
            ),
            demo.item(
                "CP-PI-1014",
                "IVC-5000",
                kind="hidden",
                days_ago=3,
                details="Camera no longer powers on after a site power cut.",
                reason="power",
            ),
        ],
        "AV-QA-302",
    )
    # Information requested: the clerk asks a question in the thread.
    info = demo.submitted(
        [
            demo.item(
                "CP-PI-1008",
                "NVR-16",
                kind="hidden",
                days_ago=4,
                details="Recorder reboots every night around 02:00; logs attached on request.",
                component="Main board",
                reason="firmware",
            )
        ],
        "AV-QA-303",
    )
    services.request_info(
        actor=demo.clerk,
        claim=info,
        question="Which firmware version runs on the recorder? Please send its system log.",
    )
    # Return authorized: the Return Authorization document follows (rendered by the worker).
    authorized = demo.submitted(
        [
            demo.item(
                "CP-PI-1004",
                "CM-AR0234",
                kind="hidden",
                days_ago=5,
                details="Vertical lines across the image once the module is warm.",
                reason="image_quality",
            )
        ],
        "AV-QA-304",
    )
    services.authorize_return(actor=demo.clerk, claim=authorized)
    # Closed: returned, received (R2 checklist passed), defect confirmed, credited (D1).
    closed = demo.submitted(
        [
            demo.item(
                "CP-PI-1004",
                "IVC-5000",
                kind="hidden",
                days_ago=7,
                details="Sensor shows a cluster of dead pixels in the centre of the image.",
                component="Sensor module",
                reason="image_quality",
            )
        ],
        "AV-QA-300",
    )
    services.authorize_return(actor=demo.clerk, claim=closed)
    services.record_shipment(
        actor=demo.buyer, claim=closed, carrier="DHL Express", tracking_number="1234567890"
    )
    services.receive(
        actor=demo.clerk,
        claim=closed,
        original_packaging=True,
        bills_of_purchase=True,
        rma_on_documents=True,
    )
    (item,) = closed.items.all()
    services.inspect(
        actor=demo.clerk,
        claim=closed,
        results={
            item.pk: {
                "findings": ["confirmed_defect"],
                "outcome": "credit_note",
                "notes": "Dead-pixel cluster confirmed on the bench.",
            }
        },
    )
    services.issue_credit_note(actor=demo.clerk, item=item)
    services.close(actor=demo.clerk, claim=closed)
    return [draft, submitted, info, authorized, closed]


def _hanbit_claims(demo: DemoClaims) -> list[Claim]:
    submitted = demo.submitted(
        [
            demo.item(
                "CP-PI-1002",
                "IPC-B400",
                kind="hidden",
                days_ago=3,
                details="야간에 IR LED가 켜지지 않습니다.",
                component="IR LED board",
                reason="no_image",
            )
        ],
        "HB-AS-0091",
    )
    return [submitted]


DEMO_CLAIMS = {"acme-vision": _acme_claims, "hanbit": _hanbit_claims}


class Command(BaseCommand):
    help = "Load demo organisations, products, shipments and logins (safe to run again)."

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        with transaction.atomic():
            new_orgs = self._organisations()
            self._import("import_products", PRODUCT_COLUMNS, product_rows(), verbosity)
            anchor = demo_anchor()
            self._import(
                "import_shipments",
                SHIPMENT_COLUMNS,
                shipment_rows(anchor),
                verbosity,
                create_buyers=False,
            )
            self._users()
        with transaction.atomic():
            new_claims = self._claims()

        self.stdout.write(self._summary(anchor, new_orgs, new_claims))

    def _summary(self, anchor: date, new_orgs: int, new_claims: int) -> str:
        pis = [shipment.pi_number for shipment in SHIPMENTS]
        orgs = Organisation.objects.filter(code__in=[code for code, *_ in ORGANISATIONS]).count()
        models = ProductModel.objects.filter(code__in=MODEL_INDEX).count()
        shipments = Shipment.objects.filter(pi_number__in=pis).count()
        units = Unit.objects.filter(shipment__pi_number__in=pis).count()
        users = User.objects.filter(username__in=[username for username, *_ in USERS]).count()
        claims = Claim.objects.filter(organisation__code__in=CLAIM_ORGS).count()
        return (
            f"Demo data ready (dates counted from {anchor.isoformat()}): {orgs} organisations "
            f"({new_orgs} new), {models} product models, {shipments} shipments, {units} units, "
            f"{claims} claims ({new_claims} new), {users} users (password {DEMO_PASSWORD}: "
            + ", ".join(username for username, *_ in USERS)
            + ")."
        )

    def _claims(self) -> int:
        """The demo claims, once per buyer organisation (skipped while it has any claim)."""
        clerk = Actor.staff(User.objects.get(username="clerk"))
        created = 0
        for username, org_code in (("buyer", "acme-vision"), ("buyer-ko", "hanbit")):
            if Claim.objects.filter(organisation__code=org_code).exists():
                continue  # already seeded, or real demo use since: leave them alone
            buyer = Actor.buyer(User.objects.get(username=username))
            try:
                created += len(DEMO_CLAIMS[org_code](DemoClaims(buyer, clerk)))
            except DomainError as exc:
                raise CommandError(f"Demo claims of {org_code}: {exc.message}") from exc
        return created

    def _organisations(self) -> int:
        created = 0
        for code, name, language, is_partner in ORGANISATIONS:
            if Organisation.objects.filter(code=code).exists():
                continue  # left as staff may have edited it
            try:
                create_organisation(code=code, name=name, language=language, is_partner=is_partner)
            except DomainError as exc:
                raise CommandError(f"Organisation {code}: {exc.message}") from exc
            created += 1
        return created

    def _users(self) -> None:
        for username, email, org_code, group, language in USERS:
            organisation = Organisation.objects.get(code=org_code) if org_code else None
            try:
                ensure_user(
                    username=username,
                    email=email,
                    password=DEMO_PASSWORD,
                    organisation=organisation,
                    staff_group=group,
                    language=language,
                )
            except DomainError as exc:
                raise CommandError(f"User {username}: {exc.message}") from exc

    def _import(self, command, columns, rows, verbosity, **options) -> None:
        """Write ``rows`` to a temporary CSV file and load it with the staff import ``command``."""
        handle, path = tempfile.mkstemp(prefix="rma-demo-", suffix=".csv")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
                writer = csv.DictWriter(file, fieldnames=columns)
                writer.writeheader()
                writer.writerows(rows)
            out = StringIO()
            call_command(command, path, stdout=out, stderr=out, **options)
            if verbosity > 1:
                self.stdout.write(out.getvalue().rstrip())
        finally:
            os.unlink(path)
