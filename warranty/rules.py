"""CPRO's Limited Warranty as pure functions: dates and facts in, a verdict out.

Every rule cites its clause ID from SPEC "Clauses" (W1-W5, N1, N5) so a decision can be traced
back to the terms. Nothing here touches the ORM, the database or Django settings: callers
(services, selectors, the API) load the facts and pass plain values, which is what lets the
table-driven and property tests run in milliseconds (STYLE 3).

Dates the terms count are calendar dates in Asia/Seoul, CPRO's calendar (N1).
"""

from __future__ import annotations

import calendar
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from rma_portal.exceptions import RuleInputError

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")


class ComponentKind(StrEnum):
    """Kinds of a product's components; the same values as ``warranty.models.ComponentKind``."""

    CAMERA_MODULE = "camera_module"  # W3
    MECHANICAL = "mechanical"  # W4
    THIRD_PARTY = "third_party"  # W2
    STANDARD = "standard"


class DefectKind(StrEnum):
    """N1 counts the 8 days from receipt (manifest) or from discovery (hidden)."""

    MANIFEST = "manifest"
    HIDDEN = "hidden"


class Finding(StrEnum):
    """What an inspection can find about a returned or inspected item."""

    CONFIRMED_DEFECT = "confirmed_defect"
    NO_FAULT_FOUND = "no_fault_found"
    TAMPERED = "tampered"  # W5
    THIRD_PARTY_REPAIR = "third_party_repair"  # W5
    NON_CONFORMING_USE = "non_conforming_use"  # W5
    THIRD_PARTY_COMPONENT = "third_party_component"  # W2


class Status(StrEnum):
    COVERED = "covered"
    NOT_COVERED = "not_covered"


class StartBasis(StrEnum):
    DELIVERY = "delivery"
    SHIPMENT = "shipment"


# W5: any of these voids the warranty for the item.
W5_FINDINGS: frozenset[str] = frozenset(
    {Finding.TAMPERED.value, Finding.THIRD_PARTY_REPAIR.value, Finding.NON_CONFORMING_USE.value}
)
# W2: the failed part turned out to be a common-use part CPRO does not make.
W2_FINDINGS: frozenset[str] = frozenset({Finding.THIRD_PARTY_COMPONENT.value})

# The order of SPEC "Clauses"; verdicts list their clause IDs in this order, so W1 comes first.
_CLAUSE_ORDER = ("W1", "W2", "W3", "W4", "W5", "N1", "D1")


@dataclass(frozen=True)
class PolicyTerms:
    """One version of the terms (SPEC "Domain": warranty policy, versioned and effective-dated)."""

    version: str
    standard_months: int = 24  # W1
    camera_module_months: int = 12  # W3
    mechanical_wear_months: int = 12  # W4
    notice_days: int = 8  # N1
    # D1: a replacement is covered at least this many months from its shipment (0: no minimum,
    # it runs only to the replaced unit's end date).
    replacement_min_months: int = 0

    def __post_init__(self) -> None:
        # A zero or negative period would silently make every unit "expired"; refuse it loudly.
        for name in ("standard_months", "camera_module_months", "mechanical_wear_months"):
            if getattr(self, name) <= 0:
                raise RuleInputError("A warranty period must be at least one month.", field=name)
        if self.notice_days < 0:
            raise RuleInputError("The notice period cannot be negative.", field="notice_days")
        if self.replacement_min_months < 0:
            raise RuleInputError(
                "The replacement minimum cannot be negative.", field="replacement_min_months"
            )


@dataclass(frozen=True)
class ProductFacts:
    """The product model's flags that decide its period (W3, W4)."""

    model_code: str
    is_camera_module: bool = False
    mechanical_wear: bool = False


@dataclass(frozen=True)
class ComponentFacts:
    """The failed component named in a claim item; pass ``None`` when it is unknown."""

    name: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in _COMPONENT_KINDS:
            raise RuleInputError(
                f"Unknown component kind '{self.kind}'.", field="component", code="unknown_kind"
            )


@dataclass(frozen=True)
class ReplacementFacts:
    """D1: this unit was shipped as the replacement of another unit.

    ``replaced_end_date`` is the last covered day of the replaced unit (for the same failed
    component, if one is named); ``shipped_on`` is the Seoul date the replacement was shipped.
    """

    replaced_serial: str
    replaced_end_date: date
    shipped_on: date


_COMPONENT_KINDS = frozenset(k.value for k in ComponentKind)
_DEFECT_KINDS = frozenset(k.value for k in DefectKind)
_FINDINGS = frozenset(f.value for f in Finding)


@dataclass(frozen=True)
class Reason:
    """One step of a verdict's explanation, in English and Korean, tied to the clause behind it."""

    clause: str
    code: str
    text_en: str
    text_ko: str

    def text(self, lang: str = "en") -> str:
        # Organisations choose en or ko; accept regional tags such as "ko-KR" too.
        return self.text_ko if lang.lower().startswith("ko") else self.text_en


@dataclass(frozen=True)
class Verdict:
    """The warranty verdict for one item or unit (SPEC "Warranty verdict")."""

    status: str
    preliminary: bool
    start_date: date
    start_basis: str
    period_months: int
    period_clause: str
    end_date: date
    defect_kind: str | None
    defect_date: date | None
    notice_deadline: date | None
    notice_date: date | None
    notice_late: bool
    notice_exception: str | None
    policy_version: str
    clauses: tuple[str, ...]
    reasons: tuple[Reason, ...]

    @property
    def covered(self) -> bool:
        return self.status == Status.COVERED

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        """The SPEC "Operations interface" warranty answer, without ``serial`` and ``model``.

        ``defect_date``, ``notice_date`` and ``period_clause`` are extras the answer may carry.
        """
        return {
            "status": str(self.status),
            "preliminary": self.preliminary,
            "start_date": self.start_date.isoformat(),
            "start_basis": str(self.start_basis),
            "period_months": self.period_months,
            "period_clause": self.period_clause,
            "end_date": self.end_date.isoformat(),
            "defect_date": _iso(self.defect_date),
            "notice_date": _iso(self.notice_date),
            "notice_deadline": _iso(self.notice_deadline),
            "policy_version": self.policy_version,
            "clauses": list(self.clauses),
            "reasons": [{"clause": r.clause, "text": r.text(lang)} for r in self.reasons],
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- Dates -----------------------------------------------------------------------------------


def seoul_date(moment: datetime) -> date:
    """The calendar date of ``moment`` in Asia/Seoul (N1: a notice's date is its Seoul date).

    A naive datetime is refused: guessing its zone could move a notice across midnight and
    turn an in-time notice into a late one.
    """
    if not isinstance(moment, datetime):
        raise RuleInputError("Expected a date and time.", code="not_datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise RuleInputError(
            "A date and time without a time zone cannot be placed on CPRO's calendar.",
            code="naive_datetime",
        )
    return moment.astimezone(SEOUL).date()


def add_months(start: date, months: int) -> date:
    """``start`` plus calendar ``months``; a day missing in the target month becomes its last day.

    SPEC "Warranty verdict": 31 Jan + 1 month = 28 Feb (29 Feb in a leap year).
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month0 = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise OverflowError("date value out of range")
    month = month0 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def coverage_end(start: date, months: int) -> date:
    """The last covered day: coverage runs from ``start`` THROUGH this date inclusive (W1)."""
    return add_months(start, months)


def notice_deadline(defect_date: date, terms: PolicyTerms) -> date:
    """N1: the last day to notify CPRO, ``notice_days`` calendar days after receipt/discovery.

    Notice on the deadline is in time; the day after is late.
    """
    return defect_date + timedelta(days=terms.notice_days)


# --- Period (W1, W3, W4) ---------------------------------------------------------------------


@dataclass(frozen=True)
class _PeriodSource:
    clause: str
    months: int
    component: str | None  # the failed component's name when it, not the product, set the period


def _period_sources(
    product: ProductFacts, component: ComponentFacts | None, terms: PolicyTerms
) -> list[_PeriodSource]:
    """Every clause that sets the period for this product/component, shortest first.

    The derogations W3 and W4 replace W1's 24 months ("as the derogation to the above"); when
    several apply, the shortest wins. Equal periods keep all their clauses, since each alone
    would have decided the same period. The product's own flag is preferred over the component's
    for the same clause because it is the broader statement.
    """
    kind = component.kind if component is not None else None
    name = component.name if component is not None else None
    found: dict[str, _PeriodSource] = {}
    if product.is_camera_module:
        found["W3"] = _PeriodSource("W3", terms.camera_module_months, None)
    elif kind == ComponentKind.CAMERA_MODULE:
        # W3: an integrated camera module gets 12 months; the rest of the product keeps its own.
        found["W3"] = _PeriodSource("W3", terms.camera_module_months, name)
    if product.mechanical_wear:
        found["W4"] = _PeriodSource("W4", terms.mechanical_wear_months, None)
    elif kind == ComponentKind.MECHANICAL:
        found["W4"] = _PeriodSource("W4", terms.mechanical_wear_months, name)
    if not found:
        return [_PeriodSource("W1", terms.standard_months, None)]
    shortest = min(s.months for s in found.values())
    return [s for s in found.values() if s.months == shortest]


def warranty_period(
    product: ProductFacts, component: ComponentFacts | None, terms: PolicyTerms
) -> tuple[int, tuple[str, ...]]:
    """The period in months and the clauses that set it (W1, W3, W4).

    W3 if the product is a camera module or the failed component is one; W4 if the product or
    the failed component is subject to mechanical wear; otherwise W1's standard period. The
    shortest applicable period wins. An unknown component (``None``), a ``standard`` one or a
    ``third_party`` one (excluded by W2, not shortened) is judged by the product's flags.
    """
    sources = _period_sources(product, component, terms)
    return sources[0].months, tuple(s.clause for s in sources)


# --- Input checks ----------------------------------------------------------------------------


# English and Korean names for "the defect date" by defect kind (N1: receipt vs discovery).
_DEFECT_DATE_NAMES: dict[str | None, tuple[str, str]] = {
    DefectKind.MANIFEST: ("date of receipt", "제품 수령일"),
    DefectKind.HIDDEN: ("date of discovery", "하자 발견일"),
    None: ("defect date", "하자 발생일"),
}


def validate_defect_date(
    *,
    defect_date: date,
    start_date: date,
    today: date,
    defect_kind: str | None = None,
    start_basis: str = StartBasis.DELIVERY,
) -> None:
    """Refuse a defect date no claim can have (SPEC "What every part must hold").

    A future date, or receipt/discovery before the warranty started (delivery, or shipment where
    no delivery date is recorded), raises ``RuleInputError`` on the ``defect_date`` field.
    """
    what_en = _DEFECT_DATE_NAMES.get(defect_kind, _DEFECT_DATE_NAMES[None])[0]
    if defect_date > today:
        raise RuleInputError(
            f"The {what_en} ({defect_date.isoformat()}) cannot be in the future; "
            f"today is {today.isoformat()}.",
            field="defect_date",
            code="future",
        )
    if defect_date < start_date:
        basis = "delivery" if start_basis == StartBasis.DELIVERY else "shipment"
        raise RuleInputError(
            f"The {what_en} ({defect_date.isoformat()}) cannot be before the {basis} date "
            f"of the unit ({start_date.isoformat()}).",
            field="defect_date",
            code="before_start",
        )


def _as_date(value: date, field: str) -> date:
    # Timestamps (a submission time, "now") are placed on CPRO's calendar, Asia/Seoul (N1).
    if isinstance(value, datetime):
        try:
            return seoul_date(value)
        except RuleInputError as exc:
            raise RuleInputError(exc.message, field=field, code=exc.code) from exc
    if not isinstance(value, date):
        raise RuleInputError("Expected a date.", field=field, code="not_date")
    return value


# --- The verdict -----------------------------------------------------------------------------


def judge(
    *,
    terms: PolicyTerms,
    product: ProductFacts,
    component: ComponentFacts | None,
    shipment_date: date,
    delivery_date: date | None,
    defect_kind: str | None = None,
    defect_date: date | None = None,
    notice_date: date | None = None,
    today: date,
    notice_exception: str | None = None,
    findings: Iterable[str] = (),
    final: bool = False,
    replacement: ReplacementFacts | None = None,
) -> Verdict:
    """Judge one item (or, without ``defect_date``, one unit as of ``today``).

    - Start (W1): the delivery date, else the shipment date, and the verdict says so.
    - Period (W1/W3/W4): see ``warranty_period``; coverage runs through the end date inclusive.
    - Replacement (D1): a unit shipped as a replacement starts on its shipment date and is
      covered through the replaced unit's end date, or ``terms.replacement_min_months`` from
      its shipment if that is later; its own product flags no longer shorten anything (they
      already shaped the replaced unit's end date).
    - In period: the defect date is on or before the end date (and not before the start:
      ``validate_defect_date``). Without a defect date, ``today`` is judged instead.
    - Notice (N1), only with a defect date: ``notice_date`` (default ``today``: a prospective
      claim notified today) must be on or before the deadline, unless staff recorded
      ``notice_exception``, a reason to accept the late notice.
    - Exclusions: W2 by component kind or finding; W5 by inspection finding.
    - Preliminary until inspection (N5): ``final=False`` gives ``preliminary=True``.

    Datetimes given for ``today`` or ``notice_date`` are placed on the Seoul calendar (N1).
    """
    today = _as_date(today, "today")
    shipment_date = _as_date(shipment_date, "shipment_date")
    if delivery_date is not None:
        delivery_date = _as_date(delivery_date, "delivery_date")
        if delivery_date < shipment_date:
            raise RuleInputError(
                "The delivery date cannot be before the shipment date.",
                field="delivery_date",
                code="before_shipment",
            )
    if defect_kind is not None and defect_kind not in _DEFECT_KINDS:
        raise RuleInputError(
            "The defect kind must be 'manifest' or 'hidden'.", field="defect_kind", code="invalid"
        )
    findings = _check_findings(findings)
    # A blank reason is no reason: a model's empty CharField means "no exception recorded".
    exception = (notice_exception or "").strip() or None

    reasons: list[Reason] = []
    not_covered = False

    if replacement is not None:
        # D1: the replacement continues the replaced unit's warranty from its own shipment.
        start, basis = _as_date(replacement.shipped_on, "shipped_on"), StartBasis.SHIPMENT
        end, months = _replacement_end(replacement, start, terms)
        reasons.extend(_replacement_reasons(replacement, start, end, terms))
        period_clause = "D1"
    else:
        # W1: coverage starts at delivery to the Buyer; the shipment date stands in when unknown.
        if delivery_date is not None:
            start, basis = delivery_date, StartBasis.DELIVERY
        else:
            start, basis = shipment_date, StartBasis.SHIPMENT
        reasons.append(_start_reason(start, basis))

        # W1/W3/W4: the period and its end.
        sources = _period_sources(product, component, terms)
        months = sources[0].months
        end = coverage_end(start, months)
        reasons.extend(_period_reason(s, start, basis, end, terms, product) for s in sources)
        period_clause = sources[0].clause

    deadline: date | None = None
    notice_on: date | None = None
    late = False
    exception_used: str | None = None
    if defect_date is not None:
        defect_date = _as_date(defect_date, "defect_date")
        validate_defect_date(
            defect_date=defect_date,
            start_date=start,
            today=today,
            defect_kind=defect_kind,
            start_basis=basis,
        )
        in_period = defect_date <= end
        not_covered |= not in_period
        reasons.append(
            _defect_period_reason(period_clause, defect_kind, defect_date, end, in_period)
        )

        # N1: 8 calendar days from receipt (manifest) or discovery (hidden).
        deadline = notice_deadline(defect_date, terms)
        prospective = notice_date is None
        notice_on = today if prospective else _as_date(notice_date, "notice_date")
        _check_notice_date(notice_on, defect_date, today, defect_kind)
        late = notice_on > deadline
        if late and exception is not None:
            exception_used = exception
        elif late:
            not_covered = True
        reasons.append(
            _notice_reason(
                defect_kind, defect_date, notice_on, deadline, terms, prospective, exception_used
            )
        )
    else:
        # A unit's status "today" (Partner API, portal unit list): no claim, so no N1.
        in_period = today <= end
        not_covered |= not in_period
        reasons.append(_today_reason(period_clause, start, end, today))

    # W2: the failed component is a common-use part not of CPRO's own production.
    if component is not None and component.kind == ComponentKind.THIRD_PARTY:
        not_covered = True
        reasons.append(_w2_component_reason(component.name))
    if findings & W2_FINDINGS:
        not_covered = True
        reasons.append(_W2_FINDING_REASON)

    # W5: tampering, third-party repair or non-conforming use void the warranty.
    for finding in Finding:  # in a fixed order, so the explanation reads the same every time
        if finding.value in W5_FINDINGS and finding.value in findings:
            not_covered = True
            reasons.append(_W5_REASONS[finding.value])

    used = {r.clause for r in reasons}
    return Verdict(
        status=str(Status.NOT_COVERED if not_covered else Status.COVERED),
        preliminary=not final,  # N5: only inspection makes a verdict final
        start_date=start,
        start_basis=str(basis),
        period_months=months,
        period_clause=period_clause,
        end_date=end,
        defect_kind=str(defect_kind) if defect_kind is not None else None,
        defect_date=defect_date,
        notice_deadline=deadline,
        notice_date=notice_on,
        notice_late=late,
        notice_exception=exception_used,
        policy_version=terms.version,
        clauses=tuple(c for c in _CLAUSE_ORDER if c in used),
        reasons=tuple(reasons),
    )


def _whole_months(start: date, end: date) -> int:
    """Calendar months from ``start`` that fit on or before ``end`` (0 when ``end`` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def _replacement_end(
    replacement: ReplacementFacts, start: date, terms: PolicyTerms
) -> tuple[date, int]:
    """D1: the replaced unit's end date, or the policy's minimum from shipment if later."""
    end = _as_date(replacement.replaced_end_date, "replaced_end_date")
    if terms.replacement_min_months:
        end = max(end, coverage_end(start, terms.replacement_min_months))
    return end, _whole_months(start, end)


def _check_findings(findings: Iterable[str]) -> frozenset[str]:
    # A misspelt finding must not silently leave an item covered.
    given = frozenset(str(f) for f in findings)
    unknown = sorted(given - _FINDINGS)
    if unknown:
        raise RuleInputError(
            f"Unknown inspection finding: {', '.join(unknown)}.", field="findings", code="invalid"
        )
    return given


def _check_notice_date(notice_on: date, defect_date: date, today: date, kind: str | None) -> None:
    # N1 counts from receipt/discovery; a notice cannot come before it, nor from the future.
    if notice_on > today:
        raise RuleInputError(
            "The notice date cannot be in the future.", field="notice_date", code="future"
        )
    if notice_on < defect_date:
        what_en = _DEFECT_DATE_NAMES[kind][0]
        raise RuleInputError(
            f"The notice date ({notice_on.isoformat()}) cannot be before the {what_en} "
            f"({defect_date.isoformat()}).",
            field="notice_date",
            code="before_defect",
        )


# --- Explanations (English and Korean) -------------------------------------------------------

_BASIS_KO = {StartBasis.DELIVERY: "납품일", StartBasis.SHIPMENT: "출하일"}


def _start_reason(start: date, basis: str) -> Reason:
    s = start.isoformat()
    if basis == StartBasis.DELIVERY:
        return Reason(
            "W1",
            "start_delivery",
            f"The warranty starts on the delivery date, {s}.",
            f"보증은 납품일({s})부터 시작됩니다.",
        )
    return Reason(
        "W1",
        "start_shipment",
        f"The delivery date is not recorded, so the warranty is counted from the shipment "
        f"date, {s}.",
        f"납품일이 기록되어 있지 않아 출하일({s})부터 보증 기간을 계산합니다.",
    )


def _period_reason(
    source: _PeriodSource,
    start: date,
    basis: str,
    end: date,
    terms: PolicyTerms,
    product: ProductFacts,
) -> Reason:
    m, s, e = source.months, start.isoformat(), end.isoformat()
    span_en = f"{m} months from the {basis} date {s} and runs through {e}"
    span_ko = f"{s} {_BASIS_KO[StartBasis(basis)]}로부터 {m}개월이며 {e}까지입니다"
    name = source.component
    if source.clause == "W1":
        return Reason(
            "W1", "period_standard", f"The warranty period is {span_en}.", f"보증 기간은 {span_ko}."
        )
    if name is None and source.clause == "W3":
        return Reason(
            "W3",
            "period_camera_module",
            f"This product is a camera module, so its warranty period is {span_en}.",
            f"이 제품은 카메라 모듈이므로 보증 기간은 {span_ko}.",
        )
    if name is None:
        return Reason(
            "W4",
            "period_mechanical_product",
            f"This product is subject to mechanical wear under normal use, so its warranty "
            f"period is {span_en}.",
            f"이 제품은 정상적인 사용 중에도 기계적 마모가 발생하는 제품이므로 "
            f"보증 기간은 {span_ko}.",
        )
    # W3/W4 by the failed component: say that only this part gets the shorter period, so a
    # buyer does not read it as the whole product's warranty (when the product has no flag).
    rest_en = rest_ko = ""
    if not (product.is_camera_module or product.mechanical_wear):
        std = terms.standard_months
        rest_en = f"; the rest of the product keeps the {std}-month period"
        rest_ko = f" 제품의 나머지 부분에는 {std}개월의 보증 기간이 적용됩니다."
    if source.clause == "W3":
        return Reason(
            "W3",
            "period_camera_component",
            f"The failed component '{name}' is an integrated camera module, so its warranty "
            f"period is {span_en}{rest_en}.",
            f"고장 난 부품('{name}')은 제품에 내장된 카메라 모듈이므로 이 부품의 보증 기간은 "
            f"{span_ko}.{rest_ko}",
        )
    return Reason(
        "W4",
        "period_mechanical_component",
        f"The failed component '{name}' is subject to mechanical wear, so its warranty period "
        f"is {span_en}{rest_en}.",
        f"고장 난 부품('{name}')은 기계적 마모가 발생하는 부품이므로 이 부품의 보증 기간은 "
        f"{span_ko}.{rest_ko}",
    )


def _defect_period_reason(
    clause: str, kind: str | None, defect_date: date, end: date, in_period: bool
) -> Reason:
    d, e = defect_date.isoformat(), end.isoformat()
    if kind == DefectKind.MANIFEST:
        subject_en = f"The goods were received on {d} (manifest defect)"
        subject_ko = f"명백한 하자의 기준일인 제품 수령일({d})이"
    elif kind == DefectKind.HIDDEN:
        subject_en = f"The hidden defect was discovered on {d}"
        subject_ko = f"숨은 하자의 발견일({d})이"
    else:
        subject_en = f"The defect date is {d}"
        subject_ko = f"하자 발생일({d})이"
    if in_period:
        return Reason(
            clause,
            "in_period",
            f"{subject_en}, within the warranty period that ends on {e}.",
            f"{subject_ko} 보증 종료일({e}) 이내이므로 보증 기간 내입니다.",
        )
    return Reason(
        clause,
        "expired",
        f"{subject_en}, after the warranty period ended on {e}, so the item is not covered.",
        f"{subject_ko} 보증 종료일({e})보다 늦어 보증 기간이 지났으므로 보증 대상이 아닙니다.",
    )


def _today_reason(clause: str, start: date, end: date, today: date) -> Reason:
    s, e, t = start.isoformat(), end.isoformat(), today.isoformat()
    if today > end:
        return Reason(
            clause,
            "expired",
            f"The warranty ended on {e}; as of today ({t}) the unit is no longer covered.",
            f"보증이 {e}에 종료되어 오늘({t}) 기준 이 제품은 보증 대상이 아닙니다.",
        )
    if today < start:
        # A delivery date ahead of today (e.g. an expected delivery): the warranty is still to run.
        return Reason(
            clause,
            "not_started",
            f"The warranty starts on {s}, after today ({t}), and runs through {e}.",
            f"보증은 오늘({t}) 이후인 {s}에 시작되어 {e}까지입니다.",
        )
    return Reason(
        clause,
        "in_period",
        f"The warranty is in force today ({t}) and runs through {e}.",
        f"오늘({t}) 기준 보증 기간 중이며, 보증은 {e}까지입니다.",
    )


_NOTICE_FROM_EN = {
    DefectKind.MANIFEST: "receipt of the goods on",
    DefectKind.HIDDEN: "discovery of the defect on",
    None: "the defect date",
}


def _notice_reason(
    kind: str | None,
    defect_date: date,
    notice_on: date,
    deadline: date,
    terms: PolicyTerms,
    prospective: bool,
    exception: str | None,
) -> Reason:
    n, dl = notice_on.isoformat(), deadline.isoformat()
    d, k = defect_date.isoformat(), terms.notice_days
    from_en = f"{k} days from {_NOTICE_FROM_EN[kind]} {d}"
    from_ko = f"{_DEFECT_DATE_NAMES[kind][1]}({d})로부터 {k}일"
    if notice_on <= deadline and prospective:
        return Reason(
            "N1",
            "notice_in_time",
            f"If notified today ({n}), the claim is in time: the deadline is {dl} ({from_en}).",
            f"오늘({n}) 통지하면 {from_ko} 이내이므로 통지 기한({dl}) 내입니다.",
        )
    if notice_on <= deadline:
        return Reason(
            "N1",
            "notice_in_time",
            f"Notice was given on {n}, in time: the deadline was {dl} ({from_en}).",
            f"통지일({n})이 {from_ko} 이내이므로 통지 기한({dl}) 내에 통지하였습니다.",
        )
    if exception is not None:
        # N1: staff may accept a late notice, but only with a recorded reason, shown to the buyer.
        return Reason(
            "N1",
            "notice_late_accepted",
            f"Notice was given on {n}, after the deadline of {dl} ({from_en}), but CPRO "
            f"accepted the late notice: {exception}",
            f"통지일({n})이 {from_ko}인 통지 기한({dl})을 지났으나, CPRO가 다음 사유로 늦은 "
            f"통지를 인정하였습니다: {exception}",
        )
    if prospective:
        return Reason(
            "N1",
            "notice_late",
            f"If notified today ({n}), the claim is late: the deadline was {dl} ({from_en}), "
            f"so it would not be covered.",
            f"오늘({n}) 통지하면 {from_ko}인 통지 기한({dl})을 지나므로 보증 대상이 되지 않습니다.",
        )
    return Reason(
        "N1",
        "notice_late",
        f"Notice was given on {n}, after the deadline of {dl} ({from_en}), so the item is "
        f"not covered.",
        f"통지일({n})이 {from_ko}인 통지 기한({dl})을 지났으므로 보증 대상이 아닙니다.",
    )


def _replacement_reasons(
    replacement: ReplacementFacts, start: date, end: date, terms: PolicyTerms
) -> list[Reason]:
    serial, s, e = replacement.replaced_serial, start.isoformat(), end.isoformat()
    replaced_end = replacement.replaced_end_date.isoformat()
    reasons = [
        Reason(
            "D1",
            "replacement_start",
            f"This unit was shipped on {s} as the replacement for unit {serial}; its warranty "
            f"is counted from that date.",
            f"이 제품은 {serial} 제품의 교체품으로 {s}에 출하되었으며, 보증은 출하일부터 "
            f"계산합니다.",
        )
    ]
    if end > replacement.replaced_end_date:
        n = terms.replacement_min_months
        reasons.append(
            Reason(
                "D1",
                "replacement_minimum",
                f"Replacement for unit {serial}: the replaced unit's warranty ends on "
                f"{replaced_end}, but CPRO's policy covers a replacement for at least {n} months "
                f"from its shipment, so it is covered through {e}.",
                f"{serial} 제품의 교체품: 원 제품의 보증 종료일은 {replaced_end}이지만, "
                f"CPRO 정책에 따라 교체품은 출하일로부터 최소 {n}개월 보증되므로 "
                f"{e}까지 보증됩니다.",
            )
        )
    else:
        reasons.append(
            Reason(
                "D1",
                "replacement_period",
                f"Replacement for unit {serial}: covered until the replaced unit's warranty end, "
                f"{e}.",
                f"{serial} 제품의 교체품: 원 제품의 보증 종료일({e})까지 보증됩니다.",
            )
        )
    return reasons


def _w2_component_reason(name: str) -> Reason:
    return Reason(
        "W2",
        "third_party_component",
        f"The failed component '{name}' is a common-use part not made by CPRO, so it is not "
        f"covered by the warranty.",
        f"고장 난 부품('{name}')은 CPRO가 생산하지 않은 범용 부품이므로 보증 대상이 아닙니다.",
    )


_W2_FINDING_REASON = Reason(
    "W2",
    "third_party_component_found",
    "Inspection found that the failed part is a common-use part not made by CPRO, so it is not "
    "covered by the warranty.",
    "검사 결과 고장 난 부품이 CPRO가 생산하지 않은 범용 부품으로 확인되어 보증 대상이 아닙니다.",
)

_W5_REASONS: dict[str, Reason] = {
    Finding.TAMPERED.value: Reason(
        "W5",
        "tampered",
        "Inspection found that the product has been tampered with, which voids the warranty.",
        "검사 결과 제품이 임의로 개조되거나 조작된 것으로 확인되어 보증이 적용되지 않습니다.",
    ),
    Finding.THIRD_PARTY_REPAIR.value: Reason(
        "W5",
        "third_party_repair",
        "Inspection found that the product has been repaired by a third party, which voids the "
        "warranty.",
        "검사 결과 제품이 제3자에 의해 수리된 것으로 확인되어 보증이 적용되지 않습니다.",
    ),
    Finding.NON_CONFORMING_USE.value: Reason(
        "W5",
        "non_conforming_use",
        "Inspection found that the product was used in a way that does not conform to its "
        "conditions of use, which voids the warranty.",
        "검사 결과 제품이 정해진 사용 조건에 맞지 않게 사용된 것으로 확인되어 보증이 적용되지 "
        "않습니다.",
    ),
}
