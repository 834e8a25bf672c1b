"""Verifiable credentials of certificates (ADR 0030): a W3C VC 2.0 / Open Badges 3.0 credential per active
certificate period, signed as a VC-JOSE JWT with the platform's Ed25519 issuer key; revocation and lapse in a
W3C Bitstring Status List; verification by ``recert_common.credentials`` (the same code as ``recert-verify``).

Issuer keys: the current key signs; a rotation makes a new current key at once and drops the private half of
the one before, whose public half stays published for as long as anything it signed may be verified (for
ever: a credential is valid for four years and its key is its only proof). The private halves are encrypted
with ``RECERT_ASSESSMENT_SECRETS_KEY`` (``recert_common.crypto``, as identity keeps its signing keys).

A credential is made on the holder's first download in a certificate period (so every active certificate,
also one loaded before this existed, has one when it is asked for) and stays the same after; its status bit
is set in the transaction that revokes it (DNV) or lapses its certificate, together with the event.
"""
from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from recert_assessment.domain import Certificate, CertificateState, NoCertificate
from recert_common.auth import parse_jwks
from recert_common.credentials import jose, model
from recert_common.credentials.statuslist import MIN_ENTRIES, Bitstring
from recert_common.credentials.verify import StatusUnavailable, Verdict, verify
from recert_common.crypto import SecretBox
from recert_common.domain_errors import DomainError, NotFoundError
from recert_common.keys import KeyStore, StoredKey, make_key, private_jwk
from recert_common.uow import UnitOfWork

STATUS_LIST = 1  # one list of 131,072 entries; a second list is a new number when the first fills up
STATUS_LIST_ENTRIES = MIN_ENTRIES
SECRETS_LABEL = "recert-assessment-secrets-key"
REVOKED_BY_DNV = "revoked_by_dnv"
LAPSED = "lapsed"
_INDEX_TRIES = 20
_log = logging.getLogger(__name__)


# --- domain ------------------------------------------------------------------------------------------------


IssuerKey = StoredKey  # the record is recert_common's, shared with identity's signing keys


@dataclass(frozen=True)
class Credential:
    id: UUID
    certificate_id: UUID
    status_list: int
    status_index: int
    valid_from: date
    valid_until: date
    kid: str
    token: str
    issued_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: str | None = None

    @property
    def document(self) -> dict[str, Any]:
        """The credential as the JWT carries it (without the JWT's own claims)."""
        return jose.credential_from_jwt_payload(jose.unverified(self.token)[1])


class CredentialUnavailable(DomainError):
    """The certificate is not active (it lapsed): no credential says it is."""

    def __init__(self, reason: str):
        super().__init__(reason, reason=reason)


def subject_name(certificate: Certificate) -> str:
    """The name a credential states about its holder: the certificate's ``holder_name`` from Noloc's import,
    the name the public register shows (ADR 0018, 0030). Never the account's ``full_name``: its owner may
    change that at will, and a verifier would then read a self-chosen name as confirmed by the register.
    Refused while the import has named nobody (a certificate loaded before names were imported)."""
    name = (certificate.holder_name or "").strip()
    if not name:
        raise CredentialUnavailable("holder_name_unknown")
    return name


class StatusListFull(DomainError):
    """No free index was found in the status list (it is nearly full: time for list number 2)."""


@dataclass(frozen=True)
class Urls:
    """The public addresses a credential names, under ``RECERT_ASSESSMENT_PUBLIC_URL``."""

    base: str

    @property
    def api(self) -> str:
        return self.base.rstrip("/") + "/api/v1/credentials"

    @property
    def issuer(self) -> str:
        return f"{self.api}/issuer"

    @property
    def keys(self) -> str:
        return f"{self.api}/keys"

    def status_list(self, number: int) -> str:
        return f"{self.api}/status/{number}"

    def verification_page(self, credential_id: UUID) -> str:
        return f"{self.base.rstrip('/')}/verifieren?id={credential_id}"


# --- the keys --------------------------------------------------------------------------------------------


PURPOSE = "issuer-key"  # what the private halves are encrypted for (``recert_common.keys``)


class IssuerKeyRing:
    def __init__(self, box: SecretBox):
        self.box = box

    @staticmethod
    def current(keys: Sequence[IssuerKey], now: datetime) -> IssuerKey | None:
        active = [key for key in keys if key.activates_at <= now]
        return active[-1] if active else None

    def _create(self, keys: KeyStore, now: datetime) -> IssuerKey:
        kid = f"rj-{now:%Y%m%d}-{secrets.token_hex(4)}"
        key = make_key(self.box, PURPOSE, kid, now=now, activates_at=now)
        keys.add(key)
        return key

    def signing_key(self, keys: KeyStore, now: datetime) -> tuple[str, dict[str, Any]]:
        """``(kid, private JWK)`` of the current key; the very first key is made on first use."""
        current = self.current(keys.all(), now)
        if current is None or current.private_jwk_encrypted is None:
            keys.lock()
            current = self.current(keys.all(), now)
            if current is None or current.private_jwk_encrypted is None:
                current = self._create(keys, now)
        return current.kid, private_jwk(self.box, PURPOSE, current)

    def rotate(self, keys: KeyStore, now: datetime) -> IssuerKey:
        """A new current key, at once; the private halves of the earlier ones are dropped."""
        keys.lock()
        key = self._create(keys, now)
        earlier = [k.kid for k in keys.all() if k.kid != key.kid and k.private_jwk_encrypted is not None]
        if earlier:
            keys.drop_private_halves(earlier)
        return key

    @staticmethod
    def jwks(keys: Sequence[IssuerKey]) -> dict[str, Any]:
        """Every key, the current one last."""
        return {"keys": [dict(key.public_jwk) for key in keys]}


# --- inside a caller's transaction ---------------------------------------------------------------------


def revoke_for_certificate(uow: Any, certificate: Certificate, reason: str,
                           now: datetime) -> list[Credential]:
    """Set the status bit of every live credential of the certificate and announce each; used by the lapse
    (``certificates.lapse_if_due``) and by DNV's revocation, in their transaction."""
    revoked = uow.credentials.revoke_all(certificate.id, reason, now)
    for credential in revoked:
        uow.publish("certification.credential.revoked", {
            "credential_id": credential.id, "certificate_id": certificate.id,
            "certificate_number": certificate.number, "account_id": certificate.account_id,
            "reason": reason, "revoked_at": now, "status_list_index": credential.status_index,
        }, subject=certificate.account_id)
    return revoked


# --- use cases -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HolderCredential:
    credential: Credential
    verification_url: str
    certificate: Certificate
    holder_name: str  # the name the credential states (signed in it), which the PDF shows


class CredentialService:
    def __init__(self, uow: Callable[[], UnitOfWork], *, box: SecretBox, public_url: str, issuer_name: str,
                 now: Callable[[], datetime]):
        self.uow = uow
        self.ring = IssuerKeyRing(box)
        self.urls = Urls(public_url)
        self.issuer = model.Issuer(id=self.urls.issuer, name=issuer_name, url=public_url.rstrip("/"))
        self.now = now

    # --- the holder ---------------------------------------------------------------------------------

    def mine(self, account_id: UUID) -> HolderCredential:
        """The holder's credential for the certificate's current period: made (and announced as
        certification.credential.issued) on the first request, the same one after."""
        now = self.now()
        with self.uow() as uow:
            certificate = uow.certificates.of_account(account_id)
            if certificate is None:
                raise NoCertificate("no certificate")
            certificate = uow.certificates.get(certificate.id, for_update=True)
            if certificate.state != CertificateState.ACTIVE:
                raise CredentialUnavailable("certificate_lapsed")
            credential = uow.credentials.live(certificate.id, certificate.valid_until)
            if credential is None:
                credential = self._issue(uow, certificate, subject_name(certificate), now)
            name = model.summary(credential.document).holder_name or ""
            return HolderCredential(credential, self.urls.verification_page(credential.id), certificate, name)

    def _issue(self, uow: Any, certificate: Certificate, name: str, now: datetime) -> Credential:
        kid, private = self.ring.signing_key(uow.issuer_keys, now)
        credential_id = uuid.uuid4()
        for _ in range(_INDEX_TRIES):  # a random free index: an index tells nothing about issue order
            index = secrets.randbelow(STATUS_LIST_ENTRIES)
            claim = model.CertificateClaim(
                credential_id=f"urn:uuid:{credential_id}", certificate_number=certificate.number,
                holder_name=name, valid_from=certificate.valid_from, valid_until=certificate.valid_until,
                issued_at=now, status_list_url=self.urls.status_list(STATUS_LIST), status_index=index)
            token = jose.sign(model.certificate_credential(self.issuer, claim), private, kid, now)
            credential = Credential(id=credential_id, certificate_id=certificate.id, status_list=STATUS_LIST,
                                    status_index=index, valid_from=certificate.valid_from,
                                    valid_until=certificate.valid_until, kid=kid, token=token, issued_at=now)
            if uow.credentials.add(credential):  # False: the index is taken
                break
        else:
            raise StatusListFull("status list full")
        uow.publish("certification.credential.issued", {
            "credential_id": credential.id, "certificate_id": certificate.id,
            "certificate_number": certificate.number, "account_id": certificate.account_id,
            "valid_from": certificate.valid_from, "valid_until": certificate.valid_until, "kid": kid,
            "status_list_index": index,
        }, subject=certificate.account_id)
        _log.info("credential issued", extra={"certificate": certificate.number, "kid": kid})
        return credential

    # --- DNV and the operator ---------------------------------------------------------------------------

    def revoke(self, certificate_id: UUID) -> list[Credential]:
        """DNV revokes the certificate's live credentials (the certificate itself stays as it is; while it is
        active its holder may download a new credential)."""
        now = self.now()
        with self.uow() as uow:
            certificate = uow.certificates.get(certificate_id, for_update=True)
            if certificate is None:
                raise NotFoundError("certificate")
            revoked = revoke_for_certificate(uow, certificate, REVOKED_BY_DNV, now)
            if not revoked:
                raise NotFoundError("credential")
        return revoked

    def rotate_key(self) -> IssuerKey:
        now = self.now()
        with self.uow() as uow:
            key = self.ring.rotate(uow.issuer_keys, now)
        _log.info("credential issuer key rotated", extra={"kid": key.kid})
        return key

    # --- public ------------------------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        with self.uow() as uow:
            return self.ring.jwks(uow.issuer_keys.all())

    def status_list(self, number: int) -> str:
        """The status list credential, signed now with the current key."""
        if number != STATUS_LIST:
            raise NotFoundError("status list")
        now = self.now()
        with self.uow() as uow:
            bits = Bitstring(STATUS_LIST_ENTRIES)
            for index in uow.credentials.revoked_indexes(number):
                bits.set(index)
            kid, private = self.ring.signing_key(uow.issuer_keys, now)
        url = self.urls.status_list(number)
        document = model.status_list_credential(self.issuer, url, bits.encode(), now)
        return jose.sign(document, private, kid, now)

    def _own_status(self, url: str) -> str:
        if url != self.urls.status_list(STATUS_LIST):
            raise StatusUnavailable(url)
        return self.status_list(STATUS_LIST)

    def verify(self, text: str) -> Verdict:
        """The verdict on a pasted or uploaded credential, against this platform's keys and status list."""
        try:
            token = jose.token_in(text)
        except jose.NotAJwt:
            token = text
        keys = parse_jwks(self.jwks())
        return verify(token, keys, self._own_status, self.now(), issuer=self.issuer.id)

    def verify_stored(self, credential_id: UUID) -> tuple[Credential, Verdict]:
        """The verdict on a credential this platform issued, by its id (the QR code's link)."""
        with self.uow() as uow:
            credential = uow.credentials.get(credential_id)
        if credential is None:
            raise NotFoundError("credential")
        return credential, self.verify(credential.token)

    def issuer_profile(self) -> Mapping[str, Any]:
        return self.issuer.profile()
