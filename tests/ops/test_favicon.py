"""/favicon.ico is served (no more 404 on every page) and every base template links the icon."""

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_a_real_icon(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][1] == 301
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # the ICO header
    assert body == Path(finders.find("favicon.ico")).read_bytes()


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/", "/verify/"])
def test_the_portal_and_the_admin_link_the_icon(client, url):
    page = client.get(url).text

    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert client.get("/static/favicon.svg").status_code == 200
