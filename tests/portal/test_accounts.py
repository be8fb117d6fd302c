"""Signing in and out, password reset, and invitations: staff invite a buyer from the admin, the
e-mailed link sets a first password once; an expired or used link is refused."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail

from accounts import services
from accounts.models import User
from rma_portal.exceptions import DomainError, Forbidden
from tests.factories import OrganisationFactory

from .helpers import PASSWORD

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://[^/\s]+(/invitation/\S+/)")
NEW_PASSWORD = "Lens-Cap-Quartz-2026"


def test_a_buyer_signs_in_and_lands_on_the_dashboard(client, buyer):
    response = client.post(
        "/accounts/login/", {"username": "ann", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert "Warranty claims of Acme Vision" in response.text


def test_a_wrong_password_is_refused_on_the_form(client, buyer):
    response = client.post("/accounts/login/", {"username": "ann", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert "_auth_user_id" not in client.session


def test_signing_out(buyer_client):
    response = buyer_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert buyer_client.get("/units/").status_code == 302


def test_the_sign_in_page_offers_password_reset(client):
    page = client.get("/accounts/login/").text
    assert 'href="/accounts/password_reset/"' in page
    assert 'for="id_username"' in page and 'for="id_password"' in page


def test_password_reset_by_e_mail(client, buyer):
    response = client.post("/accounts/password_reset/", {"email": buyer.email}, follow=True)
    assert "Check your e-mail" in response.text
    (message,) = mail.outbox
    assert message.subject == "Reset your CPRO RMA portal password"
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.text
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert "Your new password is set." in done.text
    buyer.refresh_from_db()
    assert buyer.check_password(NEW_PASSWORD)


# --- Invitations --------------------------------------------------------------------------------


@pytest.fixture
def clerk():
    """A sales clerk as the demo has one: staff, in the "Sales staff" group, no superuser."""
    user = User.objects.create_user(
        username="clerk", password=PASSWORD, is_staff=True, language="en"
    )
    group, _created = Group.objects.get_or_create(name="Sales staff")
    if not group.permissions.filter(codename="add_user").exists():
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="accounts",
                codename__in=["view_organisation", "change_organisation", "add_user"],
            )
        )
    user.groups.add(group)
    return user


def invite_link(message) -> str:
    return LINK.search(message.body).group(1)


def test_staff_invite_a_buyer_from_the_organisation_page(client, clerk, org):
    client.force_login(clerk)
    change_page = client.get(f"/admin/accounts/organisation/{org.pk}/change/")
    assert f"/admin/accounts/organisation/{org.pk}/invite/" in change_page.text
    response = client.post(
        f"/admin/accounts/organisation/{org.pk}/invite/", {"email": "Bo@Acme.example"}
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="bo@acme.example")
    assert user.organisation == org and not user.has_usable_password() and not user.is_staff
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert "Acme Vision" in message.subject
    assert "expires in 7 days" in message.body and LINK.search(message.body)


def test_the_invitation_is_in_the_organisations_language(clerk):
    hanbit = OrganisationFactory(code="hanbit", name="한빛전자", language="ko")
    services.invite_user(organisation=hanbit, email="kim@hanbit.example", invited_by=clerk)
    (message,) = mail.outbox
    assert message.subject == "CPRO RMA 포털 초대 (한빛전자)"
    assert "비밀번호를 설정하십시오" in message.body
    assert "CPRO 고객 지원 (S1)" in message.body and "Customer Support" not in message.body


def test_the_link_sets_the_password_once_and_signs_in(client, clerk, org):
    user = services.invite_user(organisation=org, email="bo@acme.example", invited_by=clerk)
    link = invite_link(mail.outbox[0])
    page = client.get(link)
    assert page.status_code == 200 and user.username in page.text
    response = client.post(
        link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert "Welcome! Your password is set and you are signed in." in response.text
    assert response.context["user"] == user
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    client.logout()
    used = client.get(link)
    assert used.status_code == 404 and "This invitation link is not valid" in used.text
    again = client.post(link, {"new_password1": "Other-Pass-1234", "new_password2": "x"})
    assert again.status_code == 404
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_expired_link_is_refused(client, clerk, org, monkeypatch, settings):
    services.invite_user(organisation=org, email="bo@acme.example", invited_by=clerk)
    link = invite_link(mail.outbox[0])
    later = datetime.datetime.now() + datetime.timedelta(days=8)
    monkeypatch.setattr(services.invitation_tokens, "_now", lambda: later)
    response = client.get(link)
    assert response.status_code == 404


def test_a_tampered_link_is_refused(client, clerk, org):
    services.invite_user(organisation=org, email="bo@acme.example", invited_by=clerk)
    link = invite_link(mail.outbox[0])
    assert client.get(link[:-3] + "xx/").status_code == 404
    assert client.get("/invitation/Zm9v/abc-def/").status_code == 404


def test_a_weak_password_is_refused_beside_the_field(client, clerk, org):
    user = services.invite_user(organisation=org, email="bo@acme.example", invited_by=clerk)
    link = invite_link(mail.outbox[0])
    response = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_inviting_again_before_acceptance_sends_a_new_link(clerk, org):
    first = services.invite_user(organisation=org, email="bo@acme.example", invited_by=clerk)
    second = services.invite_user(organisation=org, email="BO@acme.example", invited_by=clerk)
    assert first == second and len(mail.outbox) == 2


def test_an_address_with_an_account_or_elsewhere_is_refused(clerk, org, buyer, other_org):
    with pytest.raises(DomainError, match="already has an account"):
        services.invite_user(organisation=org, email=buyer.email, invited_by=clerk)
    with pytest.raises(DomainError, match="already exists elsewhere"):
        services.invite_user(organisation=other_org, email=buyer.email, invited_by=clerk)
    with pytest.raises(DomainError, match="valid e-mail"):
        services.invite_user(organisation=org, email="not-an-address", invited_by=clerk)
    assert not mail.outbox


def test_only_staff_invite(org, buyer):
    with pytest.raises(Forbidden):
        services.invite_user(organisation=org, email="x@acme.example", invited_by=buyer)


def test_staff_without_the_permission_get_no_invite_page(client, org):
    viewer = User.objects.create_user(username="viewer", password=PASSWORD, is_staff=True)
    client.force_login(viewer)
    response = client.get(f"/admin/accounts/organisation/{org.pk}/invite/")
    assert response.status_code == 403


def test_the_admin_shows_a_refused_invitation_beside_the_field(client, clerk, org, buyer):
    client.force_login(clerk)
    response = client.post(f"/admin/accounts/organisation/{org.pk}/invite/", {"email": buyer.email})
    assert response.status_code == 200
    assert "already has an account" in response.context["form"].errors["email"][0]
