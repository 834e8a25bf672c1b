"""The credential library: the status list's encoding, signing and every refusal of the verifier, and the
command-line verifier on files."""
from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from recert_common.auth import generate_ed25519_jwk, parse_jwks
from recert_common.credentials import cli, jose, model
from recert_common.credentials.statuslist import MIN_ENTRIES, Bitstring, StatusListError
from recert_common.credentials.verify import REASONS, StatusUnavailable, verify

ISSUER = model.Issuer(id="https://register.test/api/v1/credentials/issuer", name="Register Jobcoach",
                      url="https://register.test")
LIST_URL = "https://register.test/api/v1/credentials/status/1"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def _claim(index: int = 42, valid_until: date = date(2028, 5, 1)) -> model.CertificateClaim:
    return model.CertificateClaim(credential_id="urn:uuid:3f0c8a52-8d1e-4e47-9a0e-5b2f1c6d7e80",
                                  certificate_number="RJ-1234", holder_name="Anna de Vries",
                                  valid_from=date(2024, 5, 2), valid_until=valid_until, issued_at=NOW,
                                  status_list_url=LIST_URL, status_index=index)


@pytest.fixture()
def key():
    return generate_ed25519_jwk("k1")


def _status(private, revoked=(), kid="k1", url=LIST_URL):
    bits = Bitstring()
    for index in revoked:
        bits.set(index)
    return jose.sign(model.status_list_credential(ISSUER, url, bits.encode(), NOW), private, kid, NOW)


def _check(token, public_keys, status_token, now=NOW):
    def source(url):
        if status_token is None:
            raise StatusUnavailable(url)
        return status_token
    return verify(token, parse_jwks({"keys": public_keys}), source, now, issuer=ISSUER.id)


# --- the status list ---------------------------------------------------------------------------------------


def test_the_encoded_list_is_multibase_base64url_gzip_with_bit_zero_leftmost():
    bits = Bitstring()
    bits.set(0)
    bits.set(13)
    encoded = bits.encode()
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) == MIN_ENTRIES // 8 == 16 * 1024
    assert raw[0] == 0b1000_0000 and raw[1] == 0b0000_0100 and not any(raw[2:])
    decoded = Bitstring.decode(encoded)
    assert [i for i in range(32) if decoded.get(i)] == [0, 13]
    assert len(decoded) == 131_072


@pytest.mark.parametrize("encoded", [
    "", "zabc", "u!!!", "u" + base64.urlsafe_b64encode(b"not gzip").decode(),
    "u" + base64.urlsafe_b64encode(gzip.compress(b"\0" * 100, mtime=0)).decode(),
], ids=["empty", "not-base64url", "not-base64", "not-gzip", "too-short"])
def test_a_wrong_encoded_list_is_refused(encoded):
    with pytest.raises(StatusListError):
        Bitstring.decode(encoded)


# --- the credential --------------------------------------------------------------------------------------


def test_the_credential_is_an_open_badge_in_a_vc_jwt(key):
    private, public = key
    token = jose.sign(model.certificate_credential(ISSUER, _claim()), private, "k1", NOW)
    header, payload = jose.unverified(token)
    assert header == {"alg": "EdDSA", "typ": "vc+jwt", "cty": "vc", "kid": "k1"}
    assert payload["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                   "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["iss"] == payload["issuer"]["id"] == ISSUER.id and payload["jti"] == payload["id"]
    assert payload["credentialSubject"]["achievement"]["name"] == "Register Jobcoach"
    assert payload["credentialSubject"]["licenseNumber"] == "RJ-1234"
    assert payload["validFrom"] == "2024-05-02T00:00:00Z" and payload["validUntil"] == "2028-05-01T23:59:59Z"
    assert payload["credentialStatus"] == {
        "id": f"{LIST_URL}#42", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": "42", "statusListCredential": LIST_URL}
    assert model.shape_problem(jose.credential_from_jwt_payload(payload)) is None


def test_a_valid_credential_verifies(key):
    private, public = key
    token = jose.sign(model.certificate_credential(ISSUER, _claim()), private, "k1", NOW)
    verdict = _check(token, [public], _status(private, revoked=[41, 43]))
    assert verdict.valid and verdict.reason is None and verdict.kid == "k1"
    assert verdict.summary.certificate_number == "RJ-1234" and verdict.summary.holder_name == "Anna de Vries"
    assert verdict.status_as_of == NOW
    assert verdict.text("en") == "The certificate is genuine and valid."


def _tampered(token: str, change) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    change(claims)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{body}.{signature}"


def test_each_refusal_has_its_reason(key):
    private, public = key
    token = jose.sign(model.certificate_credential(ISSUER, _claim()), private, "k1", NOW)
    status = _status(private)
    other_private, _ = generate_ed25519_jwk("k1")  # the same kid, another key: a forgery
    stranger_private, _ = generate_ed25519_jwk("k9")
    forged = jose.sign(model.certificate_credential(ISSUER, _claim()), other_private, "k1", NOW)
    unknown = jose.sign(model.certificate_credential(ISSUER, _claim()), stranger_private, "k9", NOW)
    tampered = _tampered(token, lambda c: c["credentialSubject"].update(licenseNumber="RJ-9999"))
    cases = {
        "malformed": _check("not a jwt", [public], status),
        "bad_signature": _check(tampered, [public], status),
        "unknown_key": _check(unknown, [public], status),
        "expired": _check(token, [public], status, now=datetime(2028, 5, 2, tzinfo=UTC)),
        "not_yet_valid": _check(token, [public], status, now=datetime(2024, 5, 1, 12, tzinfo=UTC)),
        "revoked": _check(token, [public], _status(private, revoked=[42])),
        "status_unavailable": _check(token, [public], None),
        "status_list_invalid": _check(token, [public], _status(stranger_private, kid="k9")),
    }
    assert _check(forged, [public], status).reason == "bad_signature"
    assert {reason: verdict.reason for reason, verdict in cases.items()} == {r: r for r in cases}
    assert cases["bad_signature"].summary.certificate_number == "RJ-9999"  # shown, and refused
    assert cases["malformed"].summary == model.NOTHING_READ
    assert set(REASONS) >= set(cases)
    assert all(REASONS[reason][0] != REASONS[reason][1] for reason in REASONS)


def _unsigned(header: dict, payload: str) -> str:
    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
    return f"{part(json.dumps(header))}.{part(payload)}.c2ln"


@pytest.mark.parametrize("payload", [
    json.dumps({"credentialSubject": {"identifier": 1, "licenseNumber": 7}, "issuer": [], "validFrom": 3}),
    '{"a":' + "[" * 30_000,
])
def test_whatever_an_unsigned_part_holds_is_a_refusal_not_an_error(key, payload):
    """The public check reads a credential before its signature: no type or depth in it may raise."""
    private, public = key
    token = _unsigned({"alg": "EdDSA", "typ": "vc+jwt", "kid": "k1"}, payload)
    verdict = _check(token, [public], _status(private))
    assert verdict.reason in ("malformed", "bad_signature")
    assert verdict.summary.holder_name is None and verdict.summary.certificate_number is None


def test_a_status_list_for_another_url_or_with_a_bad_list_is_refused(key):
    private, public = key
    token = jose.sign(model.certificate_credential(ISSUER, _claim()), private, "k1", NOW)
    assert _check(token, [public], _status(private, url=LIST_URL + "x")).reason == "status_list_invalid"
    broken = jose.sign({**model.status_list_credential(ISSUER, LIST_URL, "uAAAA", NOW)}, private, "k1", NOW)
    assert _check(token, [public], broken).reason == "status_list_invalid"


def test_the_shape_and_the_issuer_are_checked(key):
    private, public = key
    status = _status(private)
    no_badge = model.certificate_credential(ISSUER, _claim())
    no_badge["type"] = ["VerifiableCredential"]
    assert _check(jose.sign(no_badge, private, "k1", NOW), [public], status).reason == "invalid_shape"
    other = model.certificate_credential(model.Issuer("https://elsewhere.test", "X", "https://x"), _claim())
    assert _check(jose.sign(other, private, "k1", NOW), [public], status).reason == "wrong_issuer"
    at_jwt = jose.sign(model.certificate_credential(ISSUER, _claim()), private, "k1", NOW)
    header = base64.urlsafe_b64encode(json.dumps({"alg": "EdDSA", "typ": "at+jwt", "kid": "k1"}).encode())
    assert _check(header.decode().rstrip("=") + "." + at_jwt.split(".", 1)[1], [public],
                  status).reason == "unsupported"


def test_an_earlier_key_still_verifies_what_it_signed(key):
    old_private, old_public = key
    new_private, new_public = generate_ed25519_jwk("k2")
    earlier = jose.sign(model.certificate_credential(ISSUER, _claim()), old_private, "k1", NOW)
    status = _status(new_private, kid="k2")  # the status list is signed by the current key
    assert _check(earlier, [old_public, new_public], status).valid
    assert _check(earlier, [new_public], status).reason == "unknown_key"


def test_the_download_json_or_the_bare_token_are_read():
    assert jose.token_in(' {"jwt": "a.b.c", "credential": {}} ') == "a.b.c"
    assert jose.token_in("a.b.c\n") == "a.b.c"
    with pytest.raises(jose.NotAJwt):
        jose.token_in('{"credential": {}}')
    with pytest.raises(jose.NotAJwt):
        jose.token_in('{"a":' + "[" * 30_000)


# --- the command line ------------------------------------------------------------------------------------


def test_the_command_line_verifies_offline_from_files(key, tmp_path, capsys):
    private, public = key
    token = jose.sign(model.certificate_credential(ISSUER, _claim()), private, "k1", NOW)
    (tmp_path / "credential.json").write_text(json.dumps({"jwt": token}))
    (tmp_path / "keys.json").write_text(json.dumps({"keys": [public]}))
    (tmp_path / "status.jwt").write_text(_status(private))
    (tmp_path / "revoked.jwt").write_text(_status(private, revoked=[42]))
    base = [str(tmp_path / "credential.json"), "--keys", str(tmp_path / "keys.json"),
            "--at", "2026-12-06T12:00:00Z"]
    assert cli.main([*base, "--status-list", str(tmp_path / "status.jwt")]) == 0
    assert "GELDIG" in capsys.readouterr().out
    assert cli.main([*base, "--status-list", str(tmp_path / "revoked.jwt"), "--lang", "en", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["reason"] == "revoked" and report["certificate_number"] == "RJ-1234"
    assert cli.main(base) == 1  # no status list: it cannot say that the certificate stands
    assert "statuslijst" in capsys.readouterr().out
    assert cli.main([str(tmp_path / "missing.json"), "--keys", str(tmp_path / "keys.json")]) == 2


def test_the_validity_ends_with_the_expiry_day():
    assert model.end_of(date(2028, 5, 1)) == datetime(2028, 5, 1, 23, 59, 59, tzinfo=UTC)
    assert model.start_of(date(2024, 5, 2)) + timedelta(days=1) == datetime(2024, 5, 3, tzinfo=UTC)
