"""Credentials of certificates (ADR 0030) on the fake unit of work: issued once per period, revoked with the
lapse and by DNV (the status bit and the event in one transaction), key rotation, the PDF's QR code."""
from __future__ import annotations

import dataclasses
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import zxingcpp
from assessment_fakes import World, received
from pypdf import PdfReader

from recert_assessment.credential_pdf import CertificatePage, render_certificate
from recert_assessment.credentials import CredentialUnavailable
from recert_common.credentials import jose, model


@pytest.fixture()
def world():
    return World()


def test_the_holder_gets_one_credential_per_period_announced_once(world):
    coach, certificate = world.coach_with_certificate()
    first = world.service.credentials.mine(coach.account_id)
    again = world.service.credentials.mine(coach.account_id)
    assert first.credential == again.credential
    (issued,) = world.uow.events("certification.credential.issued")
    assert issued.data["credential_id"] == str(first.credential.id) and issued.subject == coach.account_id
    document = first.credential.document
    assert document["credentialSubject"]["licenseNumber"] == certificate.number
    assert document["validUntil"] == f"{certificate.valid_until}T23:59:59Z"
    assert document["credentialStatus"]["statusListCredential"] == \
        "https://register.test/api/v1/credentials/status/1"
    assert first.verification_url == f"https://register.test/verifieren?id={first.credential.id}"
    assert world.service.credentials.verify(first.credential.token).valid


def test_the_issuer_key_is_kept_encrypted(world):
    coach, _ = world.coach_with_certificate()
    world.service.credentials.mine(coach.account_id)
    (key,) = world.uow.issuer_keys.keys
    assert "d" not in key.public_jwk and key.private_jwk_encrypted.startswith("v1.")
    assert json.loads(world.service.credentials.ring.box.decrypt(
        key.private_jwk_encrypted, context=f"issuer-key:{key.kid}"))["d"]


def test_a_lapse_revokes_the_credential_with_its_event(world):
    coach, certificate = world.coach_with_certificate()
    held = world.service.credentials.mine(coach.account_id)
    world.day = certificate.valid_until + timedelta(days=1)
    world.deadline_missed(coach, certificate)
    assert len(world.uow.events("certification.certificate.lapsed")) == 1
    (revoked,) = world.uow.events("certification.credential.revoked")
    assert revoked.data["reason"] == "lapsed" and revoked.data["credential_id"] == str(held.credential.id)
    world.instant = world.instant.replace(year=certificate.valid_until.year + 1)  # its validUntil has passed
    assert world.service.credentials.verify(held.credential.token).reason == "revoked"
    with pytest.raises(CredentialUnavailable):
        world.service.credentials.mine(coach.account_id)


def test_dnv_revokes_and_the_holder_may_get_a_new_one(world):
    coach, certificate = world.coach_with_certificate()
    old = world.service.credentials.mine(coach.account_id)
    assert world.service.credentials.revoke(certificate.id) == [
        world.uow.credentials.get(old.credential.id)]
    assert world.uow.events("certification.credential.revoked")[0].data["reason"] == "revoked_by_dnv"
    new = world.service.credentials.mine(coach.account_id)
    assert new.credential.id != old.credential.id
    assert new.credential.status_index != old.credential.status_index
    assert world.service.credentials.verify(old.credential.token).reason == "revoked"
    assert world.service.credentials.verify(json.dumps({"jwt": new.credential.token})).valid


def test_a_rotation_keeps_earlier_credentials_verifiable(world):
    coach, _ = world.coach_with_certificate()
    other, _ = world.coach_with_certificate()
    earlier = world.service.credentials.mine(coach.account_id)
    world.instant += timedelta(minutes=1)
    key = world.service.credentials.rotate_key()
    later = world.service.credentials.mine(other.account_id)
    assert later.credential.kid == key.kid != earlier.credential.kid
    assert [k["kid"] for k in world.service.credentials.jwks()["keys"]] == [earlier.credential.kid, key.kid]
    assert [k.private_jwk_encrypted is None for k in world.uow.issuer_keys.all()] == [True, False]
    assert world.service.credentials.verify(earlier.credential.token).valid
    assert jose.unverified(world.service.credentials.status_list(1))[0]["kid"] == key.kid


def test_the_pdf_carries_a_qr_code_of_the_verification_page(world):
    coach, certificate = world.coach_with_certificate()
    held = world.service.credentials.mine(coach.account_id)
    pdf = render_certificate(CertificatePage(
        holder_name="Jet Ødegård", certificate_number=certificate.number, valid_from=certificate.valid_from,
        valid_until=certificate.valid_until, issuer_name="Register Jobcoach",
        verification_url=held.verification_url, credential_id=str(held.credential.id),
        kid=held.credential.kid))
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    text = page.extract_text()
    assert certificate.number in text and "Jet Ødegård" in text
    (image,) = page.images
    (code,) = zxingcpp.read_barcodes(image.image)
    assert code.format == zxingcpp.BarcodeFormat.QRCode and code.text == held.verification_url


def _rename(world, coach, full_name: str) -> None:
    """The jobcoach changes her own name (identity's PATCH /v1/accounts/me), as assessment hears it."""
    world.handle(world.handlers.on_account, received("identity.account.updated", {
        "account_id": coach.account_id, "email": f"{coach.account_id}@example.org", "full_name": full_name,
        "roles": ["jobcoach"], "membership_kind": "member",
        "membership_number": world.uow.certificates.of_account(coach.account_id).membership_number,
        "preferred_language": "nl", "changed": ["full_name"]}, producer="identity",
        subject=coach.account_id, occurred_at=datetime.now(UTC) + timedelta(minutes=1)))
    assert world.uow.accounts.get(coach.account_id).full_name == full_name


def test_the_credential_names_the_holder_as_the_import_does_never_the_accounts_own_name(world):
    """ADR 0018/0030: the credential's subject is the register's name (Noloc's import, "Jet" here), not the
    account's full_name, which its owner may set to anything."""
    coach, certificate = world.coach_with_certificate()
    _rename(world, coach, "Dr. Zelf Gekozen")
    held = world.service.credentials.mine(coach.account_id)
    assert held.holder_name == "Jet"
    assert model.summary(held.credential.document).holder_name == "Jet"
    assert "Zelf Gekozen" not in json.dumps(held.credential.document)
    verdict = world.service.credentials.verify(held.credential.token)
    assert verdict.valid and verdict.summary.holder_name == "Jet"
    _rename(world, coach, "Nog Een Andere Naam")  # later changes do not reach the credential either
    assert world.service.credentials.mine(coach.account_id).holder_name == "Jet"


def test_no_credential_while_the_import_names_no_holder(world):
    coach, certificate = world.coach_with_certificate()
    world.uow.certificates.rows[certificate.id] = dataclasses.replace(certificate, holder_name=None)
    with pytest.raises(CredentialUnavailable) as refused:
        world.service.credentials.mine(coach.account_id)
    assert refused.value.reason == "holder_name_unknown"
    assert world.uow.events("certification.credential.issued") == []
