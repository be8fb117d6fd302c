"""The imports' messages: a code and values, worded in the reader's language (en, ko)."""

import re

import pytest
from django.db import connection
from django.utils import translation

from tests.warranty.test_import_checks_agree import MIXED_ROWS, records  # noqa: F401 (fixture)
from tests.warranty.test_import_shipments import BAD_ROWS, GOOD_ROWS, HEADER, write_csv
from warranty import import_messages, importing
from warranty.import_messages import MESSAGES

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def sample_values(code: str) -> dict:
    if code == "header":
        return {"columns": "a,b", "missing": ["a"], "unexpected": ["c"], "repeated": ["b"]}
    return {name: f"<{name}>" for name in re.findall(r"%\((\w+)\)s", str(MESSAGES[code]))}


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_every_message_is_worded_in_english_and_in_korean(code):
    values = sample_values(code)

    with translation.override("en"):
        english = import_messages.worded(code, values)
    with translation.override("ko"):
        korean = import_messages.worded(code, values)

    assert english != korean
    assert HANGUL.search(korean), korean
    for worded in (english, korean):
        assert "%(" not in worded
        for value in values.values():
            shown = value if isinstance(value, str) else ", ".join(value)
            assert shown in worded, (code, worded)


def test_a_row_error_is_worded_when_read_not_when_made():
    error = importing.RowError(4, "unit_price", "price_not_positive", {"value": "-1"})

    with translation.override("ko"):
        assert str(error) == "4행, unit_price: 단가는 0보다 커야 합니다(-1)."
    with translation.override("en"):
        assert str(error) == "line 4, unit_price: The unit price must be positive, not -1."
        assert importing.RowError.from_dict(error.as_dict()) == error


def test_values_are_kept_as_text_ready_for_json():
    from datetime import date
    from decimal import Decimal

    error = importing.RowError(
        2,
        "unit_price",
        "serial_recorded",
        {"serial": "SN-1", "column": "unit_price", "recorded": Decimal("5.00"), "value": 7},
    )
    dated = importing.RowError(2, "delivery_date", "date_unreal", {"value": date(2025, 2, 28)})

    assert error.params == {
        "serial": "SN-1",
        "column": "unit_price",
        "recorded": "5.00",
        "value": 7,
    }
    assert dated.params == {"value": "2025-02-28"}


def test_summaries_are_told_in_korean():
    result = importing.ShipmentImportResult(
        rows=1200,
        shipments_created=1,
        shipments_unchanged=2,
        units_created=1200,
        buyers_created=["acme"],
        delivery_dates_filled=[f"PI-{n}" for n in range(12)],
    )
    products = importing.ProductImportResult(rows=2, products_created=1, products_updated=1)

    with translation.override("ko"):
        assert result.summary() == (
            "1,200행: 출하 1건 생성, 0건 갱신, 2건 변경 없음. 제품 1,200대 생성, 0대 변경 없음. "
            "납품일을 채운 PI: PI-0, PI-1, PI-2, PI-3, PI-4, PI-5, PI-6, PI-7, PI-8, PI-9 외 2건. "
            "생성한 구매자 조직 코드: acme."
        )
        assert products.summary() == (
            "2행: 제품 모델 1개 생성, 1개 갱신, 0개 변경 없음. 부품: 0개 생성, 0개 갱신, 0개 삭제."
        )
        assert importing.ImportRejected([]).message == (
            "파일에 오류가 0개 있습니다. 아무것도 가져오지 않았습니다."
        )
    with translation.override("en"):
        assert result.summary() == (
            "1,200 rows: 1 shipment created, 0 updated, 2 unchanged; 1,200 units created, "
            "0 unchanged. Delivery date filled in for PI PI-0, PI-1, PI-2, PI-3, PI-4, PI-5, "
            "PI-6, PI-7, PI-8, PI-9 and 2 more. Buyer organisations created: code acme."
        )


@pytest.mark.django_db
@pytest.mark.parametrize("create_buyers", [False, True])
def test_both_checkers_give_the_same_codes_and_values_worded_in_korean(
    records,  # noqa: F811
    tmp_path,
    monkeypatch,
    create_buyers,
):
    rows = [*GOOD_ROWS, *(row for row, _column, _message in BAD_ROWS.values()), *MIXED_ROWS]
    path = write_csv(tmp_path, rows, header=HEADER)

    def errors():
        with pytest.raises(importing.ImportRejected) as rejected:
            importing.import_shipments(source=path, create_buyers=create_buyers)
        return [(e.line, e.column, e.code, e.params, e.message) for e in rejected.value.errors]

    with translation.override("ko"):
        in_sql = errors()
        monkeypatch.setattr(connection, "vendor", "sqlite")
        in_python = errors()

    assert in_sql == in_python
    assert len({code for _line, _column, code, _values, _message in in_sql}) > 20
    assert all(HANGUL.search(message) for *_rest, message in in_sql)


@pytest.mark.django_db
def test_values_with_quotes_backslashes_percent_signs_and_hangul_come_back_as_written(
    records,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    odd = ["it's", 'say "x"', "back\\slash", "%(code)s %s 100%", "한빛-전자"]
    rows = [
        ["PI-ODD", "PO-ODD", value, "2025-06-02", "", f"SN-ODD-{n}", value, "10.00", "USD"]
        for n, value in enumerate(odd)
    ]
    path = write_csv(tmp_path, rows, header=HEADER)

    def errors():
        with pytest.raises(importing.ImportRejected) as rejected:
            importing.import_shipments(source=path)
        return [(e.line, e.code, e.params, e.message) for e in rejected.value.errors]

    in_sql = errors()
    monkeypatch.setattr(connection, "vendor", "sqlite")
    in_python = errors()

    assert in_sql == in_python
    unknown_models = [
        (line, params["code"]) for line, code, params, _m in in_sql if code == "model_unknown"
    ]
    assert unknown_models == [(n + 2, value) for n, value in enumerate(odd)]
    for _line, code, params, message in in_sql:
        if code == "model_unknown":
            assert f"'{params['code']}'" in message


@pytest.mark.django_db
def test_recorded_dates_are_written_the_same_whatever_the_server_s_date_style(
    records,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    from tests.factories import UnitFactory

    UnitFactory(
        serial_number="SN-DATED",
        shipment__pi_number="PI-DATED",
        shipment__po_number="PO-DATED",
        shipment__buyer__code="acme",
        shipment__shipment_date="2024-03-04",
        shipment__delivery_date="2024-03-09",
    )
    row = ["PI-DATED", "PO-DATED", "acme", "2024-03-05", "2024-03-10", "SN-DATED", "X", "1", "USD"]
    path = write_csv(tmp_path, [row], header=HEADER)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL DateStyle = 'SQL, DMY'")  # dates as 04/03/2024 by default

    def recorded():
        with pytest.raises(importing.ImportRejected) as rejected:
            importing.import_shipments(source=path)
        return [e.params for e in rejected.value.errors if e.code.startswith("pi_recorded")]

    in_sql = recorded()
    monkeypatch.setattr(connection, "vendor", "sqlite")
    in_python = recorded()

    assert in_sql == in_python
    assert [params["recorded"] for params in in_sql] == ["2024-03-04", "2024-03-09"]
