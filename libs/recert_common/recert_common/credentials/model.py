"""The credential's shape: a W3C Verifiable Credential 2.0 that is an Open Badges 3.0 OpenBadgeCredential,
and the BitstringStatusListCredential that tells whether it was revoked.

Pure functions on plain dictionaries (JSON): what the issuer builds and what every verifier checks.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")
STATUS_LIST_TYPES = ("VerifiableCredential", "BitstringStatusListCredential")
STATUS_ENTRY_TYPE = "BitstringStatusListEntry"
STATUS_PURPOSE = "revocation"
ACHIEVEMENT_NAME = "Register Jobcoach"


def instant(value: datetime) -> str:
    """An XML Schema dateTimeStamp in UTC, to the second: ``2026-12-06T11:00:00Z``."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def end_of(day: date) -> datetime:
    """The last second of ``day`` (UTC): a certificate is valid through its expiry date."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def parse_instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@dataclass(frozen=True)
class Issuer:
    """The issuer profile: who vouches for the certificate."""

    id: str
    name: str
    url: str

    def profile(self) -> dict[str, Any]:
        return {"id": self.id, "type": ["Profile"], "name": self.name, "url": self.url}


@dataclass(frozen=True)
class CertificateClaim:
    """What the credential states about one certificate period."""

    credential_id: str  # urn:uuid:...
    certificate_number: str
    holder_name: str
    valid_from: date
    valid_until: date
    issued_at: datetime
    status_list_url: str
    status_index: int


def certificate_credential(issuer: Issuer, claim: CertificateClaim) -> dict[str, Any]:
    """The OpenBadgeCredential for one certificate period (its ``credentialSubject`` an AchievementSubject
    whose ``licenseNumber`` is the certificate number and whose ``identifier`` names the holder)."""
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": claim.credential_id,
        "type": list(CREDENTIAL_TYPES),
        "name": f"{ACHIEVEMENT_NAME} {claim.certificate_number}",
        "issuer": issuer.profile(),
        "validFrom": instant(start_of(claim.valid_from)),
        "validUntil": instant(end_of(claim.valid_until)),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": False,
                            "identityHash": claim.holder_name}],
            "licenseNumber": claim.certificate_number,
            "activityStartDate": instant(start_of(claim.valid_from)),
            "activityEndDate": instant(end_of(claim.valid_until)),
            "achievement": {
                "id": f"{issuer.id}#register-jobcoach",
                "type": ["Achievement"],
                "achievementType": "Certification",
                "name": ACHIEVEMENT_NAME,
                "description": "Certificaat Register Jobcoach: de houder staat in het Register Jobcoach "
                               "(certification of the Register Jobcoach).",
                "criteria": {"narrative": "Gecertificeerd na beoordeling van het "
                                          "(her)certificeringsportfolio door de certificerende instelling; "
                                          "geldig vier jaar."},
            },
        },
        "credentialStatus": {
            "id": f"{claim.status_list_url}#{claim.status_index}",
            "type": STATUS_ENTRY_TYPE,
            "statusPurpose": STATUS_PURPOSE,
            "statusListIndex": str(claim.status_index),
            "statusListCredential": claim.status_list_url,
        },
    }


def status_list_credential(issuer: Issuer, url: str, encoded_list: str, now: datetime) -> dict[str, Any]:
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": list(STATUS_LIST_TYPES),
        "issuer": issuer.id,
        "validFrom": instant(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encoded_list,
        },
    }


def _types(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def issuer_id(credential: Mapping[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    if isinstance(issuer, Mapping):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) and issuer else None


def shape_problem(credential: Any) -> str | None:
    """Why ``credential`` is not a Register Jobcoach OpenBadgeCredential; None when it is."""
    if not isinstance(credential, Mapping):
        return "not a JSON object"
    contexts = credential.get("@context")
    if not isinstance(contexts, list) or contexts[:1] != [VC_CONTEXT] or OB_CONTEXT not in contexts:
        return "@context is not VC 2.0 with Open Badges 3.0"
    if not set(CREDENTIAL_TYPES) <= set(_types(credential.get("type"))):
        return "type is not VerifiableCredential, OpenBadgeCredential"
    if issuer_id(credential) is None:
        return "no issuer"
    if None in (parse_instant(credential.get("validFrom")), parse_instant(credential.get("validUntil"))):
        return "validFrom or validUntil is not a date-time"
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping) or "AchievementSubject" not in _types(subject.get("type")):
        return "credentialSubject is not an AchievementSubject"
    achievement = subject.get("achievement")
    if not isinstance(achievement, Mapping) or achievement.get("name") != ACHIEVEMENT_NAME:
        return f"the achievement is not {ACHIEVEMENT_NAME}"
    if not isinstance(subject.get("licenseNumber"), str) or not subject["licenseNumber"]:
        return "no certificate number (licenseNumber)"
    if status_entry(credential) is None:
        return "no revocation status (BitstringStatusListEntry)"
    return None


@dataclass(frozen=True)
class StatusEntry:
    list_url: str
    index: int


def status_entry(credential: Mapping[str, Any]) -> StatusEntry | None:
    statuses = credential.get("credentialStatus")
    for entry in statuses if isinstance(statuses, list) else [statuses]:
        if not isinstance(entry, Mapping) or entry.get("type") != STATUS_ENTRY_TYPE \
                or entry.get("statusPurpose") != STATUS_PURPOSE:
            continue
        url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
        if isinstance(url, str) and url and isinstance(index, str) and re.fullmatch(r"[0-9]{1,9}", index):
            return StatusEntry(url, int(index))
    return None


def status_list_problem(credential: Any) -> str | None:
    if not isinstance(credential, Mapping):
        return "not a JSON object"
    if not set(STATUS_LIST_TYPES) <= set(_types(credential.get("type"))):
        return "type is not BitstringStatusListCredential"
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject.get("type") != "BitstringStatusList" \
            or subject.get("statusPurpose") != STATUS_PURPOSE \
            or not isinstance(subject.get("encodedList"), str):
        return "credentialSubject is not a revocation BitstringStatusList"
    return None


@dataclass(frozen=True)
class Summary:
    """What a verifier shows of a credential."""

    credential_id: str | None
    certificate_number: str | None
    holder_name: str | None
    issuer_name: str | None
    valid_from: datetime | None
    valid_until: datetime | None


# What a verifier shows of a credential it cannot read.
NOTHING_READ = Summary(None, None, None, None, None, None)


def summary(credential: Mapping[str, Any]) -> Summary:
    """What ``credential`` says, any part of any type: it is read before its signature is checked."""
    subject = credential.get("credentialSubject")
    subject = subject if isinstance(subject, Mapping) else {}
    identifiers = subject.get("identifier")
    identifiers = identifiers if isinstance(identifiers, list) else []
    names = [i.get("identityHash") for i in identifiers
             if isinstance(i, Mapping) and i.get("identityType") == "name" and not i.get("hashed")]
    issuer = credential.get("issuer")
    number = subject.get("licenseNumber")
    credential_id = credential.get("id")
    return Summary(
        credential_id=credential_id if isinstance(credential_id, str) else None,
        certificate_number=number if isinstance(number, str) else None,
        holder_name=names[0] if names and isinstance(names[0], str) else None,
        issuer_name=issuer.get("name") if isinstance(issuer, Mapping) and isinstance(issuer.get("name"), str)
        else None,
        valid_from=parse_instant(credential.get("validFrom")),
        valid_until=parse_instant(credential.get("validUntil")))
