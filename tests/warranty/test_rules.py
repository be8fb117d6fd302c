"""The warranty rules (warranty/rules.py) as a table of named cases, one per boundary.

Each case id starts with the clause it tests. Pure functions: no database, no settings.
"""

import json
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from rma_portal.exceptions import DomainError, RuleInputError
from warranty.rules import (
    SEOUL,
    ComponentFacts,
    PolicyTerms,
    ProductFacts,
    Reason,
    add_months,
    coverage_end,
    judge,
    notice_deadline,
    seoul_date,
    validate_defect_date,
    warranty_period,
)

TERMS = PolicyTerms(version="2024.1")
PLAIN = ProductFacts(model_code="CP-NVR-16")
CAMERA = ProductFacts(model_code="CP-CAM-4K", is_camera_module=True)
WEARING = ProductFacts(model_code="CP-PTZ-30", mechanical_wear=True)
CAMERA_WEARING = ProductFacts(model_code="CP-PTZ-CAM", is_camera_module=True, mechanical_wear=True)

LENS = ComponentFacts(name="Lens module", kind="camera_module")
FAN = ComponentFacts(name="Cooling fan", kind="mechanical")
PSU = ComponentFacts(name="Power supply", kind="third_party")
BOARD = ComponentFacts(name="Main board", kind="standard")

SHIPPED = date(2024, 2, 20)
DELIVERED = date(2024, 3, 1)
END_24 = date(2026, 3, 1)  # DELIVERED + 24 months, the last covered day (W1)
END_12 = date(2025, 3, 1)  # DELIVERED + 12 months (W3, W4)
HANGUL = re.compile("[\uac00-\ud7a3]")


def case(case_id, status, *, expect=None, **inputs):
    """One row: the inputs to judge() (defaults below) and the fields the verdict must have."""
    args = {
        "terms": TERMS,
        "product": PLAIN,
        "component": None,
        "shipment_date": SHIPPED,
        "delivery_date": DELIVERED,
        "today": date(2025, 6, 20),
    }
    args.update(inputs)
    return pytest.param(args, status, expect or {}, id=case_id)


CASES = [
    # --- W1: start, standard period, inclusive end ----------------------------------------------
    case(
        "W1-standard-24-months-from-delivery",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        expect={
            "start_date": DELIVERED,
            "start_basis": "delivery",
            "period_months": 24,
            "period_clause": "W1",
            "end_date": END_24,
            "notice_deadline": date(2025, 6, 18),
            "clauses": ("W1", "N1"),
            "policy_version": "2024.1",
        },
    ),
    case(
        "W1-defect-on-last-covered-day-24m-covered",
        "covered",
        defect_kind="hidden",
        defect_date=END_24,
        today=date(2026, 3, 3),
        expect={"end_date": END_24, "period_months": 24, "clauses": ("W1", "N1")},
    ),
    case(
        "W1-defect-day-after-end-24m-not-covered",
        "not_covered",
        defect_kind="hidden",
        defect_date=END_24 + timedelta(days=1),
        today=date(2026, 3, 3),
        expect={"end_date": END_24, "notice_late": False, "clauses": ("W1", "N1")},
    ),
    case(
        "W1-defect-on-delivery-day-covered",
        "covered",
        defect_kind="manifest",
        defect_date=DELIVERED,
        notice_date=date(2024, 3, 4),
        today=date(2024, 3, 4),
        expect={"notice_deadline": date(2024, 3, 9)},
    ),
    case(
        "W1-today-check-on-last-covered-day-covered",
        "covered",
        today=END_24,
        expect={"end_date": END_24, "notice_deadline": None, "clauses": ("W1",)},
    ),
    case(
        "W1-today-check-day-after-end-not-covered",
        "not_covered",
        today=END_24 + timedelta(days=1),
        expect={"notice_deadline": None, "notice_date": None, "clauses": ("W1",)},
    ),
    case(
        "W1-today-check-with-future-delivery-covered",
        "covered",
        delivery_date=date(2025, 7, 1),
        today=date(2025, 6, 20),
        expect={"start_date": date(2025, 7, 1), "end_date": date(2027, 7, 1)},
    ),
    case(
        "W1-delivery-unknown-shipment-date-basis",
        "covered",
        delivery_date=None,
        expect={
            "start_date": SHIPPED,
            "start_basis": "shipment",
            "end_date": date(2026, 2, 20),
            "clauses": ("W1",),
        },
    ),
    case(
        "W1-delivery-unknown-defect-after-shipment-based-end",
        "not_covered",
        delivery_date=None,
        defect_kind="hidden",
        defect_date=date(2026, 2, 21),
        today=date(2026, 2, 25),
        expect={"start_basis": "shipment", "end_date": date(2026, 2, 20)},
    ),
    case(
        "W1-start-31-jan-24m-ends-31-jan",
        "covered",
        delivery_date=date(2024, 1, 31),
        shipment_date=date(2024, 1, 25),
        today=date(2026, 1, 31),
        expect={"end_date": date(2026, 1, 31)},
    ),
    case(
        "W1-start-31-jan-13m-policy-ends-29-feb-leap-year",
        "covered",
        terms=PolicyTerms(version="13m", standard_months=13),
        shipment_date=date(2023, 1, 20),
        delivery_date=date(2023, 1, 31),
        today=date(2024, 2, 29),
        expect={"end_date": date(2024, 2, 29), "period_months": 13, "policy_version": "13m"},
    ),
    case(
        "W1-start-31-jan-13m-policy-ends-28-feb-non-leap-year",
        "not_covered",
        terms=PolicyTerms(version="13m", standard_months=13),
        shipment_date=date(2024, 1, 20),
        delivery_date=date(2024, 1, 31),
        today=date(2025, 3, 1),
        expect={"end_date": date(2025, 2, 28)},
    ),
    case(
        "W1-start-29-feb-24m-defect-on-28-feb-non-leap-covered",
        "covered",
        shipment_date=date(2024, 2, 20),
        delivery_date=date(2024, 2, 29),
        defect_kind="hidden",
        defect_date=date(2026, 2, 28),
        today=date(2026, 3, 2),
        expect={"end_date": date(2026, 2, 28), "notice_deadline": date(2026, 3, 8)},
    ),
    case(
        "W1-start-29-feb-24m-defect-on-1-mar-not-covered",
        "not_covered",
        shipment_date=date(2024, 2, 20),
        delivery_date=date(2024, 2, 29),
        defect_kind="hidden",
        defect_date=date(2026, 3, 1),
        today=date(2026, 3, 2),
        expect={"end_date": date(2026, 2, 28)},
    ),
    case(
        "W1-start-29-feb-48m-policy-ends-29-feb-leap-year",
        "covered",
        terms=PolicyTerms(version="48m", standard_months=48),
        shipment_date=date(2024, 2, 20),
        delivery_date=date(2024, 2, 29),
        today=date(2028, 2, 29),
        expect={"end_date": date(2028, 2, 29), "period_months": 48},
    ),
    # --- W3: camera modules, stand-alone or integrated ------------------------------------------
    case(
        "W3-camera-module-product-12-months",
        "covered",
        product=CAMERA,
        defect_kind="hidden",
        defect_date=date(2024, 12, 1),
        notice_date=date(2024, 12, 3),
        expect={
            "period_months": 12,
            "period_clause": "W3",
            "end_date": END_12,
            "clauses": ("W1", "W3", "N1"),
        },
    ),
    case(
        "W3-camera-product-defect-on-last-covered-day-12m-covered",
        "covered",
        product=CAMERA,
        defect_kind="hidden",
        defect_date=END_12,
        today=date(2025, 3, 5),
        expect={"end_date": END_12},
    ),
    case(
        "W3-camera-product-defect-day-after-end-12m-not-covered",
        "not_covered",
        product=CAMERA,
        defect_kind="hidden",
        defect_date=END_12 + timedelta(days=1),
        today=date(2025, 3, 5),
        expect={"end_date": END_12, "clauses": ("W1", "W3", "N1")},
    ),
    case(
        "W3-start-29-feb-12m-ends-28-feb",
        "covered",
        product=CAMERA,
        shipment_date=date(2024, 2, 20),
        delivery_date=date(2024, 2, 29),
        today=date(2025, 2, 28),
        expect={"end_date": date(2025, 2, 28), "period_months": 12},
    ),
    case(
        "W3-integrated-camera-component-12m-not-covered-after-12m",
        "not_covered",
        component=LENS,
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        expect={
            "period_months": 12,
            "period_clause": "W3",
            "end_date": END_12,
            "clauses": ("W1", "W3", "N1"),
        },
    ),
    case(
        "W1-standard-component-of-same-product-keeps-24m-covered",
        "covered",
        component=BOARD,
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        expect={"period_months": 24, "end_date": END_24, "clauses": ("W1", "N1")},
    ),
    case(
        "W3-integrated-camera-component-within-12m-covered",
        "covered",
        component=LENS,
        defect_kind="hidden",
        defect_date=END_12,
        today=date(2025, 3, 2),
        expect={"period_months": 12, "end_date": END_12},
    ),
    case(
        "W1-unknown-component-of-plain-product-judged-by-product-24m",
        "covered",
        component=None,
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        expect={"period_months": 24, "clauses": ("W1", "N1")},
    ),
    case(
        "W3-unknown-component-of-camera-product-judged-by-product-12m",
        "not_covered",
        product=CAMERA,
        component=None,
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        expect={"period_months": 12, "clauses": ("W1", "W3", "N1")},
    ),
    case(
        "W3-standard-component-of-camera-product-still-12m",
        "covered",
        product=CAMERA,
        component=BOARD,
        today=END_12,
        expect={"period_months": 12, "period_clause": "W3"},
    ),
    # --- W4: mechanical wear --------------------------------------------------------------------
    case(
        "W4-mechanical-wear-product-12-months",
        "covered",
        product=WEARING,
        defect_kind="hidden",
        defect_date=END_12,
        today=date(2025, 3, 9),
        expect={
            "period_months": 12,
            "period_clause": "W4",
            "end_date": END_12,
            "notice_deadline": date(2025, 3, 9),
            "clauses": ("W1", "W4", "N1"),
        },
    ),
    case(
        "W4-mechanical-product-defect-day-after-end-not-covered",
        "not_covered",
        product=WEARING,
        defect_kind="hidden",
        defect_date=END_12 + timedelta(days=1),
        today=date(2025, 3, 9),
        expect={"end_date": END_12},
    ),
    case(
        "W4-mechanical-component-12-months",
        "not_covered",
        component=FAN,
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        expect={"period_months": 12, "period_clause": "W4", "clauses": ("W1", "W4", "N1")},
    ),
    case(
        "W4-unknown-component-of-mechanical-product-judged-by-product",
        "covered",
        product=WEARING,
        today=date(2025, 2, 1),
        expect={"period_months": 12, "clauses": ("W1", "W4")},
    ),
    case(
        "W3-W4-both-apply-equal-12m-both-clauses",
        "covered",
        product=CAMERA_WEARING,
        today=date(2025, 2, 1),
        expect={"period_months": 12, "period_clause": "W3", "clauses": ("W1", "W3", "W4")},
    ),
    case(
        "W3-W4-camera-component-in-mechanical-product-both-12m",
        "covered",
        product=WEARING,
        component=LENS,
        today=date(2025, 2, 1),
        expect={"period_months": 12, "clauses": ("W1", "W3", "W4")},
    ),
    case(
        "W4-shortest-wins-6m-mechanical-over-12m-camera",
        "not_covered",
        terms=PolicyTerms(version="short-wear", mechanical_wear_months=6),
        product=CAMERA,
        component=FAN,
        today=date(2024, 9, 2),
        expect={"period_months": 6, "period_clause": "W4", "end_date": date(2024, 9, 1)},
    ),
    case(
        "W3-shortest-wins-9m-camera-over-12m-mechanical",
        "covered",
        terms=PolicyTerms(version="short-cam", camera_module_months=9),
        product=WEARING,
        component=LENS,
        today=date(2024, 12, 1),
        expect={"period_months": 9, "clauses": ("W1", "W3"), "end_date": date(2024, 12, 1)},
    ),
    # --- W2: common-use parts not of CPRO's production ------------------------------------------
    case(
        "W2-third-party-component-not-covered",
        "not_covered",
        component=PSU,
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        expect={"period_months": 24, "clauses": ("W1", "W2", "N1")},
    ),
    case(
        "W2-third-party-component-of-camera-product-not-covered",
        "not_covered",
        product=CAMERA,
        component=PSU,
        today=date(2024, 6, 1),
        expect={"period_months": 12, "clauses": ("W1", "W2", "W3")},
    ),
    case(
        "W2-finding-third-party-component-not-covered",
        "not_covered",
        component=BOARD,
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        findings=["third_party_component"],
        final=True,
        expect={"preliminary": False, "clauses": ("W1", "W2", "N1")},
    ),
    # --- W5: tampering, third-party repair, non-conforming use ----------------------------------
    case(
        "W5-tampered-not-covered",
        "not_covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        findings=["tampered"],
        final=True,
        expect={"clauses": ("W1", "W5", "N1"), "preliminary": False},
    ),
    case(
        "W5-third-party-repair-not-covered",
        "not_covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        findings=["third_party_repair"],
        final=True,
        expect={"clauses": ("W1", "W5", "N1")},
    ),
    case(
        "W5-non-conforming-use-not-covered",
        "not_covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        findings=["non_conforming_use"],
        final=True,
        expect={"clauses": ("W1", "W5", "N1")},
    ),
    case(
        "W5-finding-with-confirmed-defect-still-not-covered",
        "not_covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        findings=("confirmed_defect", "tampered"),
        final=True,
        expect={"clauses": ("W1", "W5", "N1")},
    ),
    case(
        "W5-no-fault-found-does-not-exclude",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        findings=["no_fault_found"],
        final=True,
        expect={"clauses": ("W1", "N1"), "preliminary": False},
    ),
    case(
        "W5-confirmed-defect-does-not-exclude",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        findings=["confirmed_defect"],
        final=True,
        expect={"clauses": ("W1", "N1"), "preliminary": False},
    ),
    # --- N1: notice within 8 days of receipt (manifest) or discovery (hidden) -------------------
    case(
        "N1-manifest-notice-on-day-8-in-time",
        "covered",
        defect_kind="manifest",
        defect_date=DELIVERED,
        notice_date=date(2024, 3, 9),
        today=date(2024, 3, 9),
        expect={
            "notice_deadline": date(2024, 3, 9),
            "notice_date": date(2024, 3, 9),
            "notice_late": False,
            "clauses": ("W1", "N1"),
        },
    ),
    case(
        "N1-manifest-notice-on-day-9-late",
        "not_covered",
        defect_kind="manifest",
        defect_date=DELIVERED,
        notice_date=date(2024, 3, 10),
        today=date(2024, 3, 10),
        expect={"notice_deadline": date(2024, 3, 9), "notice_late": True},
    ),
    case(
        "N1-hidden-notice-on-day-8-in-time",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 18),
        expect={"notice_deadline": date(2025, 6, 18), "notice_late": False},
    ),
    case(
        "N1-hidden-notice-on-day-9-late",
        "not_covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 19),
        expect={"notice_deadline": date(2025, 6, 18), "notice_late": True},
    ),
    case(
        "N1-notice-on-defect-day-in-time",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 10),
        expect={"notice_late": False},
    ),
    case(
        "N1-notice-defaults-to-today-day-8-in-time",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 12),
        today=date(2025, 6, 20),
        expect={"notice_date": date(2025, 6, 20), "notice_deadline": date(2025, 6, 20)},
    ),
    case(
        "N1-notice-defaults-to-today-day-9-late",
        "not_covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 11),
        today=date(2025, 6, 20),
        expect={"notice_date": date(2025, 6, 20), "notice_late": True},
    ),
    case(
        "N1-defect-kind-unspecified-same-8-days",
        "covered",
        defect_date=date(2025, 6, 12),
        today=date(2025, 6, 20),
        expect={"defect_kind": None, "notice_deadline": date(2025, 6, 20)},
    ),
    case(
        "N1-notice-datetime-14-59-utc-is-same-seoul-day-in-time",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=datetime(2025, 6, 18, 14, 59, tzinfo=UTC),
        expect={"notice_date": date(2025, 6, 18), "notice_late": False},
    ),
    case(
        "N1-notice-datetime-15-00-utc-is-next-seoul-day-late",
        "not_covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=datetime(2025, 6, 18, 15, 0, tzinfo=UTC),
        expect={"notice_date": date(2025, 6, 19), "notice_late": True},
    ),
    case(
        "N1-late-notice-with-staff-exception-covered",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 1),
        notice_date=date(2025, 6, 12),
        notice_exception="Written notice was delayed by a postal strike.",
        expect={
            "notice_late": True,
            "notice_exception": "Written notice was delayed by a postal strike.",
            "clauses": ("W1", "N1"),
        },
    ),
    case(
        "N1-blank-staff-exception-is-no-exception-late",
        "not_covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 1),
        notice_date=date(2025, 6, 12),
        notice_exception="   ",
        expect={"notice_late": True, "notice_exception": None},
    ),
    case(
        "N1-exception-unused-when-notice-in-time",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 10),
        notice_date=date(2025, 6, 12),
        notice_exception="Not needed.",
        expect={"notice_late": False, "notice_exception": None},
    ),
    case(
        "N1-exception-does-not-cure-expired-period",
        "not_covered",
        defect_kind="hidden",
        defect_date=END_24 + timedelta(days=1),
        notice_date=date(2026, 3, 20),
        today=date(2026, 3, 20),
        notice_exception="Accepted by sales manager.",
        expect={"notice_late": True, "clauses": ("W1", "N1")},
    ),
    case(
        "N1-exception-does-not-cure-W5-finding",
        "not_covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 1),
        notice_date=date(2025, 6, 12),
        notice_exception="Accepted by sales manager.",
        findings=["tampered"],
        final=True,
        expect={"clauses": ("W1", "W5", "N1")},
    ),
    case(
        "N1-late-notice-and-expired-period-not-covered",
        "not_covered",
        product=CAMERA,
        defect_kind="manifest",
        defect_date=date(2025, 3, 2),
        notice_date=date(2025, 3, 20),
        today=date(2025, 3, 20),
        expect={"notice_late": True, "clauses": ("W1", "W3", "N1")},
    ),
    # --- N5: preliminary until inspection --------------------------------------------------------
    case(
        "N5-verdict-preliminary-by-default",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 15),
        expect={"preliminary": True},
    ),
    case(
        "N5-final-verdict-not-preliminary",
        "covered",
        defect_kind="hidden",
        defect_date=date(2025, 6, 15),
        notice_date=date(2025, 6, 16),
        today=date(2025, 8, 1),
        final=True,
        expect={"preliminary": False, "notice_date": date(2025, 6, 16)},
    ),
]


@pytest.mark.parametrize(("args", "status", "expect"), CASES)
def test_verdict_table(args, status, expect):
    verdict = judge(**args)

    assert verdict.status == status
    assert verdict.covered is (status == "covered")
    for field, value in expect.items():
        assert getattr(verdict, field) == value, field


@pytest.mark.parametrize(("args", "status", "expect"), CASES)
def test_every_reason_is_explained_in_english_and_korean(args, status, expect):
    verdict = judge(**args)

    assert verdict.clauses[0] == "W1"
    assert len(set(verdict.clauses)) == len(verdict.clauses)
    assert {r.clause for r in verdict.reasons} == set(verdict.clauses)
    for reason in verdict.reasons:
        assert reason.text_en.strip()
        assert HANGUL.search(reason.text_ko), reason.code
        assert reason.text("ko") == reason.text_ko
        # Dates in explanations are ISO, never locale formats such as 01/03/2024.
        assert not re.search(r"\d{1,2}/\d{1,2}/\d{2,4}", reason.text_en + reason.text_ko)
    assert verdict.start_date.isoformat() in verdict.reasons[0].text_en
    assert verdict.end_date.isoformat() in " ".join(r.text_en for r in verdict.reasons)


def test_table_has_a_case_per_boundary():
    assert len(CASES) >= 45
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids)
    assert all(re.match(r"^(W[1-5]|N[15])(-W[1-5])?-", i) for i in ids)


# --- Input that no claim can have --------------------------------------------------------------


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        pytest.param(
            {"defect_date": date(2025, 6, 21), "today": date(2025, 6, 20)},
            "defect_date",
            id="N1-future-defect-date",
        ),
        pytest.param(
            {"defect_date": date(2024, 2, 29)}, "defect_date", id="W1-defect-before-delivery"
        ),
        pytest.param(
            {"defect_date": date(2024, 2, 25), "defect_kind": "manifest"},
            "defect_date",
            id="W1-receipt-between-shipment-and-delivery",
        ),
        pytest.param(
            {"delivery_date": None, "defect_date": date(2024, 2, 19)},
            "defect_date",
            id="W1-defect-before-shipment-when-delivery-unknown",
        ),
        pytest.param(
            {"defect_date": date(2025, 6, 10), "notice_date": date(2025, 6, 9)},
            "notice_date",
            id="N1-notice-before-defect",
        ),
        pytest.param(
            {"defect_date": date(2025, 6, 10), "notice_date": date(2025, 6, 21)},
            "notice_date",
            id="N1-notice-in-the-future",
        ),
        pytest.param(
            {"defect_date": date(2025, 6, 10), "notice_date": datetime(2025, 6, 12, 9, 0)},
            "notice_date",
            id="N1-naive-notice-datetime",
        ),
        pytest.param({"findings": ["tamperd"]}, "findings", id="W5-unknown-finding"),
        pytest.param(
            {"defect_date": date(2025, 6, 10), "defect_kind": "obvious"},
            "defect_kind",
            id="N1-unknown-defect-kind",
        ),
        pytest.param(
            {"delivery_date": date(2024, 2, 19)}, "delivery_date", id="W1-delivery-before-shipment"
        ),
    ],
)
def test_impossible_input_is_refused_on_its_field(inputs, field):
    args = {
        "terms": TERMS,
        "product": PLAIN,
        "component": None,
        "shipment_date": SHIPPED,
        "delivery_date": DELIVERED,
        "today": date(2025, 6, 20),
        "defect_kind": "hidden",
    } | inputs

    with pytest.raises(RuleInputError) as exc_info:
        judge(**args)

    assert exc_info.value.field == field
    assert isinstance(exc_info.value, DomainError)
    assert exc_info.value.message


def test_future_defect_message_names_the_dates():
    with pytest.raises(RuleInputError) as exc_info:
        validate_defect_date(
            defect_date=date(2025, 6, 21), start_date=DELIVERED, today=date(2025, 6, 20)
        )

    assert exc_info.value.field == "defect_date"
    assert "future" in exc_info.value.message
    assert "2025-06-21" in exc_info.value.message


def test_discovery_before_delivery_message_says_so():
    with pytest.raises(RuleInputError) as exc_info:
        validate_defect_date(
            defect_date=date(2024, 2, 28),
            start_date=DELIVERED,
            today=date(2025, 6, 20),
            defect_kind="hidden",
        )

    assert exc_info.value.field == "defect_date"
    assert "discovery" in exc_info.value.message
    assert "before the delivery date" in exc_info.value.message


def test_defect_on_start_day_and_today_is_accepted():
    validate_defect_date(defect_date=DELIVERED, start_date=DELIVERED, today=DELIVERED)


def test_unknown_component_kind_is_refused():
    with pytest.raises(RuleInputError) as exc_info:
        ComponentFacts(name="Gearbox", kind="gear")

    assert exc_info.value.field == "component"


def test_policy_with_a_zero_period_is_refused():
    with pytest.raises(RuleInputError) as exc_info:
        PolicyTerms(version="broken", camera_module_months=0)

    assert exc_info.value.field == "camera_module_months"


# --- N1: the Seoul calendar --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(datetime(2026, 1, 1, 14, 59, tzinfo=UTC), date(2026, 1, 1), id="N1-14-59Z"),
        pytest.param(datetime(2026, 1, 1, 15, 0, tzinfo=UTC), date(2026, 1, 2), id="N1-15-00Z"),
        pytest.param(datetime(2025, 12, 31, 23, 59, tzinfo=UTC), date(2026, 1, 1), id="N1-23-59Z"),
        pytest.param(datetime(2026, 1, 1, 0, 0, tzinfo=SEOUL), date(2026, 1, 1), id="N1-kst-00"),
        pytest.param(
            datetime(2026, 1, 1, 23, 59, tzinfo=SEOUL), date(2026, 1, 1), id="N1-kst-23-59"
        ),
        pytest.param(
            datetime(2026, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
            date(2026, 1, 1),
            id="N1-new-york-morning",
        ),
    ],
)
def test_seoul_date(moment, expected):
    assert seoul_date(moment) == expected


def test_seoul_date_refuses_naive_datetime():
    with pytest.raises(RuleInputError):
        seoul_date(datetime(2026, 1, 1, 15, 0))


def test_today_given_as_aware_datetime_is_placed_on_seoul_calendar():
    verdict = judge(
        terms=TERMS,
        product=PLAIN,
        component=None,
        shipment_date=SHIPPED,
        delivery_date=DELIVERED,
        today=datetime(2026, 3, 1, 15, 0, tzinfo=UTC),  # 2026-03-02 in Seoul: one day too late
    )

    assert verdict.status == "not_covered"


# --- Period and deadline helpers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("product", "component", "expected"),
    [
        pytest.param(PLAIN, None, (24, ("W1",)), id="W1-plain-unknown-component"),
        pytest.param(PLAIN, BOARD, (24, ("W1",)), id="W1-plain-standard-component"),
        pytest.param(PLAIN, PSU, (24, ("W1",)), id="W2-third-party-does-not-shorten"),
        pytest.param(PLAIN, LENS, (12, ("W3",)), id="W3-integrated-camera-component"),
        pytest.param(CAMERA, None, (12, ("W3",)), id="W3-camera-product"),
        pytest.param(PLAIN, FAN, (12, ("W4",)), id="W4-mechanical-component"),
        pytest.param(WEARING, BOARD, (12, ("W4",)), id="W4-mechanical-product"),
        pytest.param(CAMERA_WEARING, None, (12, ("W3", "W4")), id="W3-W4-tie-keeps-both"),
    ],
)
def test_warranty_period(product, component, expected):
    assert warranty_period(product, component, TERMS) == expected


def test_notice_deadline_is_8_calendar_days_across_month_end():
    assert notice_deadline(date(2024, 2, 25), TERMS) == date(2024, 3, 4)


def test_coverage_end_clamps_31_january_plus_one_month():
    assert coverage_end(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


# --- Explanations ------------------------------------------------------------------------------


def _judge(**inputs):
    args = {
        "terms": TERMS,
        "product": PLAIN,
        "component": None,
        "shipment_date": SHIPPED,
        "delivery_date": DELIVERED,
        "today": date(2025, 6, 20),
    } | inputs
    return judge(**args)


def test_standard_period_reason_reads_naturally_in_korean():
    verdict = _judge()

    period = verdict.reasons[1]
    assert period.clause == "W1"
    assert (
        period.text("ko") == "보증 기간은 2024-03-01 납품일로부터 24개월이며 2026-03-01까지입니다."
    )
    assert period.text("en") == (
        "The warranty period is 24 months from the delivery date 2024-03-01 and runs through "
        "2026-03-01."
    )


def test_shipment_basis_is_stated_when_delivery_date_unknown():
    verdict = _judge(delivery_date=None)

    start = verdict.reasons[0]
    assert start.clause == "W1"
    assert "delivery date is not recorded" in start.text_en
    assert "shipment date, 2024-02-20" in start.text_en
    assert "납품일이 기록되어 있지 않아" in start.text_ko


def test_camera_component_reason_names_the_component_and_the_rest_of_the_product():
    verdict = _judge(component=LENS, today=date(2024, 6, 1))

    w3 = next(r for r in verdict.reasons if r.clause == "W3")
    assert "'Lens module'" in w3.text_en
    assert "rest of the product keeps the 24-month period" in w3.text_en
    assert "'Lens module'" in w3.text_ko


def test_camera_component_of_mechanical_product_does_not_promise_24_months():
    verdict = _judge(product=WEARING, component=LENS, today=date(2024, 6, 1))

    texts = " ".join(r.text_en + r.text_ko for r in verdict.reasons)
    assert "24-month" not in texts
    assert "24 months" not in texts
    assert "24개월" not in texts
    assert [r.clause for r in verdict.reasons[1:3]] == ["W3", "W4"]


def test_late_notice_exception_reason_quotes_staff_reason():
    verdict = _judge(
        defect_kind="manifest",
        defect_date=DELIVERED,
        notice_date=date(2024, 3, 15),
        notice_exception="Customs held the shipment.",
    )

    n1 = next(r for r in verdict.reasons if r.clause == "N1")
    assert n1.code == "notice_late_accepted"
    assert "CPRO accepted the late notice: Customs held the shipment." in n1.text_en
    assert "Customs held the shipment." in n1.text_ko
    assert "2024-03-09" in n1.text_en


def test_prospective_notice_reason_speaks_of_notifying_today():
    verdict = _judge(defect_kind="hidden", defect_date=date(2025, 6, 15))

    n1 = next(r for r in verdict.reasons if r.clause == "N1")
    assert n1.text_en.startswith("If notified today (2025-06-20)")
    assert n1.text_ko.startswith("오늘(2025-06-20) 통지하면")


def test_each_w5_finding_has_its_own_reason():
    verdict = _judge(findings=["non_conforming_use", "tampered", "third_party_repair"])

    codes = [r.code for r in verdict.reasons if r.clause == "W5"]
    assert codes == ["tampered", "third_party_repair", "non_conforming_use"]


def test_reason_text_accepts_regional_language_tags():
    reason = Reason(clause="W1", code="x", text_en="English", text_ko="한국어")

    assert reason.text("ko-KR") == "한국어"
    assert reason.text("en-GB") == "English"
    assert reason.text() == "English"


# --- The API answer shape ----------------------------------------------------------------------


def test_as_dict_has_the_operations_interface_shape():
    verdict = _judge(defect_kind="hidden", defect_date=date(2025, 6, 15))

    answer = verdict.as_dict()

    assert {
        "status",
        "preliminary",
        "start_date",
        "start_basis",
        "period_months",
        "end_date",
        "notice_deadline",
        "policy_version",
        "clauses",
        "reasons",
    } <= set(answer)
    assert set(answer) - {"defect_date", "notice_date", "period_clause"} == {
        "status",
        "preliminary",
        "start_date",
        "start_basis",
        "period_months",
        "end_date",
        "notice_deadline",
        "policy_version",
        "clauses",
        "reasons",
    }
    assert answer["status"] == "covered"
    assert answer["preliminary"] is True
    assert answer["start_date"] == "2024-03-01"
    assert answer["end_date"] == "2026-03-01"
    assert answer["notice_deadline"] == "2025-06-23"
    assert answer["clauses"] == ["W1", "N1"]
    assert all(set(r) == {"clause", "text"} for r in answer["reasons"])
    assert json.loads(json.dumps(answer)) == answer


def test_as_dict_without_defect_date_has_null_notice_deadline():
    answer = _judge().as_dict()

    assert answer["notice_deadline"] is None
    assert answer["clauses"] == ["W1"]


def test_as_dict_in_korean():
    answer = _judge().as_dict(lang="ko")

    assert all(HANGUL.search(r["text"]) for r in answer["reasons"])
