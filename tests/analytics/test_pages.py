"""The analytics pages in the admin: staff only, filtered, every table as CSV, charts as SVG."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from analytics.models import EarlyWarningSettings
from tests.factories import UserFactory
from warranty.models import ProductModel

from .population import B7

pytestmark = pytest.mark.django_db

PAGES = ["rates", "nevada", "breakdowns", "costs", "early_warning"]


def _csv(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("page", PAGES)
def test_a_sales_clerk_who_is_not_a_superuser_reads_every_page(population, clerk_client, page):
    response = clerk_client.get(reverse(f"analytics:{page}"))

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_superuser


@pytest.mark.parametrize("page", PAGES)
def test_every_table_downloads_as_csv_with_its_rows(population, clerk_client, page):
    response = clerk_client.get(reverse(f"analytics:{page}"))

    for table in response.context["tables"]:
        download = clerk_client.get(reverse(f"analytics:{page}"), {"csv": table.key})
        assert download.status_code == 200
        assert download["Content-Type"].startswith("text/csv")
        rows = _csv(download)
        assert rows[0] == [str(h) for h in table.headers]
        assert len(rows) == len(table.rows) + 1


def test_the_batch_csv_has_every_batch_though_the_page_shows_the_worst_first(
    population, clerk_client
):
    page = clerk_client.get(reverse("analytics:rates"))
    rows = _csv(clerk_client.get(reverse("analytics:rates"), {"csv": "rates-batch"}))

    assert len(rows) == 1 + 20
    assert rows[1][:2] == [B7, "QA-B"]  # highest claim rate first
    assert f"<td>{B7}</td>" in page.text


def test_the_nevada_csv_sums_to_the_claims(population, clerk_client):
    rows = _csv(clerk_client.get(reverse("analytics:nevada"), {"csv": "nevada"}))

    total = rows[-1]
    assert int(total[-1]) == population.claims
    assert sum(int(r[-1]) for r in rows[1:-1]) == population.claims


def test_filter_by_model_narrows_the_tables(population, clerk_client):
    rows = _csv(
        clerk_client.get(reverse("analytics:rates"), {"model": "QA-A", "csv": "rates-batch"})
    )

    assert {r[1] for r in rows[1:]} == {"QA-A"}


def test_filter_by_organisation_and_ship_dates(population, clerk_client):
    rows = _csv(
        clerk_client.get(
            reverse("analytics:rates"),
            {
                "organisation": "hanbit",
                "date_from": "2026-01-01",
                "date_to": "2026-12-31",
                "csv": "rates-batch",
            },
        )
    )

    # Odd-numbered batches go to hanbit; 2026's are A-9, B-9 and B-7.
    assert sorted(r[0] for r in rows[1:]) == ["A-9", "B-7", "B-9"]


def test_charts_are_inline_svg_without_any_outside_link(population, clerk_client):
    for page in ("rates", "nevada"):
        html = clerk_client.get(reverse(f"analytics:{page}")).text
        assert "<svg" in html
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in html


def test_the_early_warning_page_lists_b7_with_its_evidence(population, clerk_client):
    page = clerk_client.get(reverse("analytics:early_warning"))
    rows = _csv(clerk_client.get(reverse("analytics:early_warning"), {"csv": "early-warning"}))

    assert "rate-ratio" in page.text
    assert {(r[1], r[2]) for r in rows[1:]} == {("QA-B", B7)}


def test_pages_read_in_korean(population, clerk_client):
    clerk_client.cookies["django_language"] = "ko"

    page = clerk_client.get(reverse("analytics:rates"))

    assert "제품 모델별 고장률" in page.text
    assert "Failure rates by product model" not in page.text


@pytest.mark.parametrize("page", PAGES)
def test_a_buyer_is_sent_to_the_admin_login(population, client, page):
    buyer = UserFactory()
    client.force_login(buyer)

    response = client.get(reverse(f"analytics:{page}"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_analytics_permission_are_refused(population, client):
    viewer = UserFactory(organisation=None, is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="claims", codename="view_claim")
    )
    client.force_login(viewer)

    assert client.get(reverse("analytics:rates")).status_code == 403
    assert client.get(reverse("analytics:rates"), {"csv": "rates-model"}).status_code == 403


def test_sales_staff_tune_the_threshold_but_cannot_add_or_delete_it(clerk_client):
    url = reverse("admin:analytics_earlywarningsettings_change", args=[1])
    EarlyWarningSettings.current()

    response = clerk_client.post(
        url, {"window_days": 60, "min_failures": 8, "rate_ratio": "2.00", "significance": "0.005"}
    )

    assert response.status_code == 302
    found = EarlyWarningSettings.current()
    assert (found.window_days, found.min_failures, str(found.rate_ratio)) == (60, 8, "2.00")
    assert clerk_client.get(reverse("admin:analytics_earlywarningsettings_add")).status_code == 403
    delete = reverse("admin:analytics_earlywarningsettings_delete", args=[1])
    assert clerk_client.post(delete, {"post": "yes"}).status_code == 403


def test_each_page_runs_a_fixed_number_of_queries(
    population, clerk_client, django_assert_max_num_queries
):
    # Set-based: the count does not grow with units or claims (20 batches, 10,000 units here).
    ProductModel.objects.get(code="QA-A")
    for page, most in [
        ("rates", 12),
        ("nevada", 12),
        ("breakdowns", 12),
        ("costs", 12),
        ("early_warning", 12),
    ]:
        with django_assert_max_num_queries(most):
            clerk_client.get(reverse(f"analytics:{page}"))


def test_sales_staff_hold_exactly_the_analytics_permissions():
    from django.contrib.auth.models import Group

    group = Group.objects.get(name="Sales staff")
    granted = set(
        group.permissions.filter(content_type__app_label="analytics").values_list(
            "codename", flat=True
        )
    )

    assert granted == {
        "view_quality_analytics",
        "view_earlywarningsettings",
        "change_earlywarningsettings",
    }


def test_the_admin_index_links_the_analytics(clerk_client):
    page = clerk_client.get(reverse("admin:index"))

    assert reverse("analytics:rates") in page.text
    assert reverse("analytics:early_warning") in page.text
