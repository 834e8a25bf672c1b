"""Verifying a Register Jobcoach credential: the one algorithm behind the public verification endpoint, the
portal's verification page and the command-line verifier (``recert-verify``).

In order, each step refusing with its own reason: the JWT's form (``typ vc+jwt``, ``alg EdDSA``, a ``kid``);
the signature, by ``kid``, against the issuer's published keys; the credential's shape (VC 2.0 / Open
Badges 3.0) and issuer; its revocation bit in the status list, after the status list credential's own
signature, issuer and shape have been verified; and its validity dates. Nothing here fetches anything: the
caller hands in the key set and a way to get a status list credential (from a file, a URL or the database).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import jwt

from recert_common.credentials import jose, model
from recert_common.credentials.statuslist import Bitstring, StatusListError

# reason code -> (Dutch, English). Dutch in the je-form: the jobcoach and anyone checking reads it.
REASONS: dict[str, tuple[str, str]] = {
    "malformed": ("Dit is geen credential die we kunnen lezen. Plak de hele tekst of kies het JSON-bestand "
                  "dat je hebt gedownload.",
                  "This is not a credential we can read. Paste the whole text or choose the JSON file you "
                  "downloaded."),
    "unsupported": ("Deze credential is niet beveiligd zoals het Register Jobcoach dat doet (vc+jwt met "
                    "EdDSA).",
                    "This credential is not secured the way the Register Jobcoach secures it (vc+jwt with "
                    "EdDSA)."),
    "unknown_key": ("De credential is ondertekend met een sleutel die het Register Jobcoach niet heeft "
                    "gepubliceerd. Hij komt niet van ons.",
                    "The credential is signed with a key the Register Jobcoach has not published. It does "
                    "not come from us."),
    "bad_signature": ("De handtekening klopt niet: de inhoud is na het ondertekenen veranderd.",
                      "The signature does not match: the content was changed after it was signed."),
    "invalid_shape": ("De credential heeft niet de vorm van een certificaat Register Jobcoach.",
                      "The credential does not have the shape of a Register Jobcoach certificate."),
    "wrong_issuer": ("De credential noemt een andere uitgever dan het Register Jobcoach.",
                     "The credential names an issuer other than the Register Jobcoach."),
    "not_yet_valid": ("Het certificaat is nog niet geldig.", "The certificate is not valid yet."),
    "expired": ("Het certificaat is verlopen: de geldigheid is voorbij.",
                "The certificate has expired: its validity has ended."),
    "status_unavailable": ("De statuslijst kon niet worden gelezen, dus we weten niet of het certificaat is "
                           "ingetrokken. Probeer het later opnieuw.",
                           "The status list could not be read, so we cannot tell whether the certificate was "
                           "revoked. Try again later."),
    "status_list_invalid": ("De statuslijst is niet echt: de handtekening of de inhoud klopt niet.",
                            "The status list is not genuine: its signature or content does not match."),
    "revoked": ("Het certificaat is ingetrokken of vervallen. De houder staat niet meer in het Register "
                "Jobcoach.",
                "The certificate was revoked or has lapsed. The holder is no longer in the Register "
                "Jobcoach."),
}
VALID_TEXT = ("Het certificaat is echt en geldig.", "The certificate is genuine and valid.")


class StatusUnavailable(Exception):
    """The status list credential could not be had (offline without its file, a failed fetch)."""


KeySet = Mapping[str, jwt.PyJWK]
StatusSource = Callable[[str], str]  # status list URL -> its vc+jwt


@dataclass(frozen=True)
class Verdict:
    reason: str | None  # None: valid
    summary: model.Summary = model.NOTHING_READ
    kid: str | None = None
    status_as_of: datetime | None = None
    credential: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def valid(self) -> bool:
        return self.reason is None

    def text(self, language: str = "nl") -> str:
        nl, en = VALID_TEXT if self.reason is None else REASONS[self.reason]
        return en if language == "en" else nl


class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _checked_payload(token: str, keys: KeySet) -> tuple[str, dict[str, Any]]:
    """``(kid, payload)`` of a vc+jwt whose signature verifies against ``keys``."""
    try:
        header, _ = jose.unverified(token)
    except jose.NotAJwt:
        raise _Refused("malformed") from None
    if header.get("alg") != jose.ALGORITHM or str(header.get("typ", "")).lower() not in (
            jose.TYP, jose.MEDIA_TYPE):
        raise _Refused("unsupported")
    kid = header.get("kid")
    if not isinstance(kid, str) or kid not in keys:
        raise _Refused("unknown_key")
    try:
        payload = jwt.decode(token.strip(), key=keys[kid], algorithms=[jose.ALGORITHM],
                             options={"verify_aud": False, "verify_iss": False, "verify_exp": False,
                                      "verify_nbf": False, "verify_iat": False})
    except jwt.InvalidSignatureError:
        raise _Refused("bad_signature") from None
    except jwt.InvalidTokenError:
        raise _Refused("malformed") from None
    return kid, payload


def verify(token: str, keys: KeySet, status_source: StatusSource, now: datetime, *,
           issuer: str | None = None) -> Verdict:
    """The verdict on one vc+jwt. ``issuer``: the issuer id the credential must name (the verifier's own
    setting); None accepts the issuer of the keys handed in."""
    summary, kid, credential = model.NOTHING_READ, None, None
    try:
        try:
            credential = jose.credential_from_jwt_payload(jose.unverified(token)[1])
            summary = model.summary(credential)
        except jose.NotAJwt:
            pass
        kid, payload = _checked_payload(token, keys)
        credential = jose.credential_from_jwt_payload(payload)
        summary = model.summary(credential)
        if model.shape_problem(credential) is not None:
            raise _Refused("invalid_shape")
        named = model.issuer_id(credential)
        if (issuer is not None and named != issuer) or payload.get("iss", named) != named:
            raise _Refused("wrong_issuer")
        # The status before the dates: a lapsed certificate's credential has passed its validUntil too,
        # and "revoked" is what tells the reader that it lapsed rather than ran out after a renewal.
        revoked, as_of = _status(model.status_entry(credential), keys, status_source, named)
        if revoked:
            return Verdict("revoked", summary, kid, as_of, credential)
        if now < summary.valid_from:
            return Verdict("not_yet_valid", summary, kid, as_of, credential)
        if now > summary.valid_until:
            return Verdict("expired", summary, kid, as_of, credential)
        return Verdict(None, summary, kid, as_of, credential)
    except _Refused as refused:
        return Verdict(refused.reason, summary, kid, None, credential)


def _status(entry: model.StatusEntry, keys: KeySet, status_source: StatusSource,
            issuer: str | None) -> tuple[bool, datetime | None]:
    try:
        token = status_source(entry.list_url)
    except StatusUnavailable:
        raise _Refused("status_unavailable") from None
    try:
        _, payload = _checked_payload(token, keys)
    except _Refused:
        raise _Refused("status_list_invalid") from None
    status_list = jose.credential_from_jwt_payload(payload)
    if model.status_list_problem(status_list) is not None or model.issuer_id(status_list) != issuer \
            or status_list.get("id") != entry.list_url:
        raise _Refused("status_list_invalid")
    try:
        bits = Bitstring.decode(status_list["credentialSubject"]["encodedList"])
        return bits.get(entry.index), model.parse_instant(status_list.get("validFrom"))
    except (StatusListError, IndexError):
        raise _Refused("status_list_invalid") from None
