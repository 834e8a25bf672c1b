"""A certificate anyone can verify (issue 14, ADR 0030), through the gateway of the shared whole system, and
the command-line verifier run as a process.

A jobcoach downloads her credential (a vc+jwt carrying a W3C VC 2.0 / Open Badges 3.0 credential) and the PDF
whose QR code decodes to the public verification page of it. Anyone, without logging in, fetches the
published keys and the status list and verifies: a valid credential verifies; a tampered one, one signed
by another key (with the platform's kid or an unknown one), a revoked one (DNV) and a lapsed one are refused
with their reasons, at the gateway and by ``recert-verify`` offline against files of the keys and the
status list (and once fetching them by URL). After a Noloc admin rotates the issuer key the earlier
credential still verifies and a new one is signed with the new key.
"""
from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from portal_system import shared_fixtures
from pypdf import PdfReader

from recert_assessment import certificates
from recert_assessment.store import SqlAssessmentUnitOfWork
from recert_common.auth import generate_ed25519_jwk
from recert_common.credentials import jose
from recert_common.db import Database

from journeys import TODAY, eventually, ok

system, app, office, mailbox = shared_fixtures()

VALID_UNTIL = TODAY + timedelta(days=400)
VERIFIER = Path(sys.executable).with_name("recert-verify")


def _holder(app, office, name: str):
    person = app.login(app.register(full_name=name))
    number = office.certify(person, VALID_UNTIL)
    return person, number


def _verify(app, credential: str) -> dict:
    return ok(app.post("credentials/verify", json={"credential": credential}))


def _tampered(token: str, change) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{body}.{signature}"


def _cli(tmp_path, credential: str, *args: str) -> tuple[int, dict]:
    path = tmp_path / f"credential-{abs(hash(credential))}.json"
    path.write_text(credential)
    result = subprocess.run([str(VERIFIER), str(path), "--json", "--lang", "en", *args],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def _lapse(system, number: str) -> None:
    """The lapse on the day after the expiry date once portfolio said nothing was submitted (ADR 0042), for
    this certificate alone (the system is shared with other modules, whose clocks must not move)."""
    db = Database(system.database_url("assessment"), max_size=1, name="test-credentials").open(wait=True)
    try:
        with SqlAssessmentUnitOfWork(db) as uow:
            certificate = uow.certificates.by_number(number)
            uow.certificates.note_deadline_missed(certificate.id, certificate.valid_until)
            locked = uow.certificates.lock_active(certificate.id)
            assert certificates.lapse_if_due(uow, locked, certificate.valid_until + timedelta(days=1))
    finally:
        db.close()


@pytest.fixture(scope="module")
def holder(app, office):
    return _holder(app, office, "Vera Verifieer")


def test_the_holder_downloads_a_credential_that_verifies(app, holder):
    person, number = holder
    download = ok(app.get("certificates/mine/credential", person))
    assert download == ok(app.get("certificates/mine/credential", person))  # made once
    header, _ = jose.unverified(download["jwt"])
    assert header["typ"] == "vc+jwt" and header["alg"] == "EdDSA" and header["kid"] == download["kid"]
    credential = download["credential"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["credentialSubject"]["licenseNumber"] == number
    assert credential["credentialSubject"]["achievement"]["name"] == "Register Jobcoach"
    assert credential["issuer"]["id"] == f"{app.base}/credentials/issuer"
    assert ok(app.get("credentials/issuer"))["id"] == credential["issuer"]["id"]
    status = credential["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"
    assert status["statusListCredential"] == f"{app.base}/credentials/status/1"

    verdict = _verify(app, json.dumps(download))  # the JSON download as it was saved
    assert verdict["valid"] is True and verdict["reason"] is None
    assert verdict["certificate_number"] == number and verdict["holder_name"] == "Vera Verifieer"
    assert verdict["message"] == "Het certificaat is echt en geldig."
    by_id = ok(app.get(f"credentials/{download['id']}/verification", headers={"Accept-Language": "en"}))
    assert by_id["valid"] is True and by_id["message"] == "The certificate is genuine and valid."


def test_the_pdf_qr_code_opens_the_verification(app, holder):
    person, number = holder
    download = ok(app.get("certificates/mine/credential", person))
    response = app.get("certificates/mine/credential.pdf", person)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    assert number in page.extract_text()
    (code,) = zxingcpp.read_barcodes(page.images[0].image)
    url = urlsplit(code.text)
    assert code.text == download["verification_url"]
    assert f"{url.scheme}://{url.netloc}" == app.base.removesuffix("/api/v1") and url.path == "/verifieren"
    (credential_id,) = parse_qs(url.query)["id"]
    assert ok(app.get(f"credentials/{credential_id}/verification"))["certificate_number"] == number


def _assessment_knows_name(system, account_id: str, full_name: str) -> bool:
    db = Database(system.database_url("assessment"), max_size=1, name="test-account-name").open(wait=True)
    try:
        with db.transaction() as conn:
            row = conn.execute("SELECT full_name FROM accounts WHERE account_id = %s",
                               (account_id,)).fetchone()
            return row is not None and row["full_name"] == full_name
    finally:
        db.close()


def test_a_name_the_jobcoach_chose_herself_is_never_signed(app, office, system):
    """ADR 0018/0030: the credential names the holder as Noloc's import does (what the register shows). The
    jobcoach may rename her account at will (PATCH /accounts/me); that name must not reach the credential,
    its PDF, or what the public verification reports as valid."""
    person, number = _holder(app, office, "Iris Ingevoerd")
    chosen = "Dr. Iris Zelfgekozen"
    ok(app.patch("accounts/me", person, json={"full_name": chosen}))
    eventually(lambda: _assessment_knows_name(system, person.id, chosen),
               what="assessment hears the new name")
    download = ok(app.get("certificates/mine/credential", person))
    assert download["holder_name"] == "Iris Ingevoerd"
    assert "Zelfgekozen" not in json.dumps(download)
    names = [i["identityHash"] for i in download["credential"]["credentialSubject"]["identifier"]
             if i["identityType"] == "name"]
    assert names == ["Iris Ingevoerd"]
    verdict = _verify(app, download["jwt"])
    assert verdict["valid"] is True and verdict["holder_name"] == "Iris Ingevoerd"
    assert ok(app.get(f"register/{number}"))["name"] == "Iris Ingevoerd"
    text = PdfReader(io.BytesIO(app.get("certificates/mine/credential.pdf", person).content)).pages[0] \
        .extract_text()
    assert "Iris Ingevoerd" in text and "Zelfgekozen" not in text


def test_forgeries_are_refused_with_their_reason(app, holder):
    person, _ = holder
    download = ok(app.get("certificates/mine/credential", person))
    token = download["jwt"]
    tampered = _tampered(token, lambda c: c.update(validUntil="2099-12-31T23:59:59Z"))
    other_key, _ = generate_ed25519_jwk(download["kid"])  # another key under the platform's kid
    stranger, _ = generate_ed25519_jwk("someone-else")
    document = jose.credential_from_jwt_payload(jose.unverified(token)[1])
    forged = jose.sign(document, other_key, download["kid"], datetime.now(UTC))
    unknown = jose.sign(document, stranger, "someone-else", datetime.now(UTC))
    candidates = {"tampered": tampered, "forged": forged, "unknown": unknown, "garbage": "geen credential"}
    refusals = {name: _verify(app, candidate) for name, candidate in candidates.items()}
    assert {name: (v["valid"], v["reason"]) for name, v in refusals.items()} == {
        "tampered": (False, "bad_signature"), "forged": (False, "bad_signature"),
        "unknown": (False, "unknown_key"), "garbage": (False, "malformed")}
    assert "veranderd" in refusals["tampered"]["message"]


def test_revoked_and_lapsed_credentials_are_refused_also_offline(app, office, system, tmp_path):
    revoked_person, revoked_number = _holder(app, office, "Rob Ingetrokken")
    lapsed_person, lapsed_number = _holder(app, office, "Lies Vervallen")
    valid_person, _ = _holder(app, office, "Geert Geldig")
    revoked = ok(app.get("certificates/mine/credential", revoked_person))
    lapsed = ok(app.get("certificates/mine/credential", lapsed_person))
    valid = ok(app.get("certificates/mine/credential", valid_person))

    certificate_id = ok(app.get("certificates/mine", revoked_person))["certificate_id"]
    assert ok(app.post(f"certificates/{certificate_id}/credential/revoke", office.dnv)) == {
        "credential_ids": [revoked["id"]]}
    _lapse(system, lapsed_number)

    assert _verify(app, revoked["jwt"])["reason"] == _verify(app, lapsed["jwt"])["reason"] == "revoked"
    assert "ingetrokken of vervallen" in _verify(app, lapsed["jwt"])["message"]
    assert app.get("certificates/mine/credential", lapsed_person).status_code == 409
    assert _verify(app, valid["jwt"])["valid"] is True

    # recert-verify, offline: the published keys and the status list saved as files.
    (tmp_path / "keys.json").write_text(app.get("credentials/keys").text)
    status = app.get("credentials/status/1")
    assert status.headers["Content-Type"].startswith("application/vc+jwt")
    (tmp_path / "status.jwt").write_text(status.text)
    offline = ("--keys", str(tmp_path / "keys.json"), "--status-list", str(tmp_path / "status.jwt"))
    assert _cli(tmp_path, json.dumps(valid), *offline)[0] == 0
    for credential in (revoked, lapsed):
        code, report = _cli(tmp_path, credential["jwt"], *offline)
        assert (code, report["reason"]) == (1, "revoked")
    code, report = _cli(tmp_path, _tampered(valid["jwt"], lambda c: c["credentialSubject"].update(
        licenseNumber="RJ-NEP")), *offline)
    assert (code, report["reason"], report["certificate_number"]) == (1, "bad_signature", "RJ-NEP")
    code, report = _cli(tmp_path, valid["jwt"], "--keys", str(tmp_path / "keys.json"))
    assert (code, report["reason"]) == (1, "status_unavailable")  # no status list: it cannot say
    # And online: keys and status list fetched by their URLs.
    code, report = _cli(tmp_path, valid["jwt"], "--keys", f"{app.base}/credentials/keys", "--fetch-status")
    assert (code, report["valid"]) == (0, True)
    eventually(lambda: {e["type"] for e in _outbox(system)} >= {
        "certification.credential.issued", "certification.credential.revoked"}, what="the events")


def _outbox(system) -> list[dict]:
    db = Database(system.database_url("assessment"), max_size=1, name="test-outbox").open(wait=True)
    try:
        with db.transaction() as conn:
            return conn.execute(
                "SELECT event_type AS type FROM outbox WHERE event_type LIKE 'certification.credential.%%' "
                "AND published_at IS NOT NULL").fetchall()
    finally:
        db.close()


def test_an_earlier_credential_verifies_after_a_key_rotation(app, office, tmp_path):
    before, _ = _holder(app, office, "Bert Voor")
    after, _ = _holder(app, office, "Anna Na")
    earlier = ok(app.get("certificates/mine/credential", before))
    assert app.post("credentials/keys/rotate", before).status_code == 403
    rotated = ok(app.post("credentials/keys/rotate", office.admin), 201)
    later = ok(app.get("certificates/mine/credential", after))
    assert later["kid"] == rotated["kid"] != earlier["kid"]
    kids = [key["kid"] for key in ok(app.get("credentials/keys"))["keys"]]
    assert kids[-1] == rotated["kid"] and earlier["kid"] in kids
    assert _verify(app, earlier["jwt"])["valid"] is True and _verify(app, later["jwt"])["valid"] is True
    assert jose.unverified(app.get("credentials/status/1").text)[0]["kid"] == rotated["kid"]
    (tmp_path / "keys.json").write_text(app.get("credentials/keys").text)
    (tmp_path / "status.jwt").write_text(app.get("credentials/status/1").text)
    assert _cli(tmp_path, earlier["jwt"], "--keys", str(tmp_path / "keys.json"), "--status-list",
                str(tmp_path / "status.jwt"))[0] == 0
