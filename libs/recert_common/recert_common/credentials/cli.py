"""``recert-verify``: check a Register Jobcoach credential on your own machine.

Offline, against a file of the published keys (the JWKS of ``/api/v1/credentials/keys``) and a file of the
status list (the vc+jwt at the credential's ``statusListCredential`` URL); or fetching either from a URL.
Exit status 0: valid; 1: refused (the reason is printed); 2: the files could not be read.

    recert-verify certificaat.json --keys keys.json --status-list status.jwt
    recert-verify certificaat.json --fetch-status \
        --keys https://mijn.registerjobcoach.nl/api/v1/credentials/keys
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from recert_common.auth import parse_jwks
from recert_common.credentials import jose
from recert_common.credentials.verify import StatusUnavailable, Verdict, verify

FETCH_TIMEOUT = 10.0


class Unreadable(Exception):
    pass


def _is_url(where: str) -> bool:
    return where.startswith(("https://", "http://"))


def _read(where: str) -> str:
    try:
        if _is_url(where):
            response = requests.get(where, timeout=FETCH_TIMEOUT)
            response.raise_for_status()
            return response.text
        return Path(where).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, requests.RequestException) as exc:
        raise Unreadable(f"{where}: {exc}") from None


def _keys(where: str) -> dict[str, Any]:
    try:
        document = json.loads(_read(where))
    except ValueError:
        raise Unreadable(f"{where}: not JSON") from None
    if not isinstance(document, dict):
        raise Unreadable(f"{where}: not a key set (JWKS)")
    return parse_jwks(document)


class _StatusLists:
    """The status list credentials given on the command line, by their id; optionally fetched by URL."""

    def __init__(self, sources: Sequence[str], fetch: bool):
        self.by_id: dict[str, str] = {}
        self.fetch = fetch
        for where in sources:
            token = jose.token_in(_read(where))
            try:
                _, payload = jose.unverified(token)
            except jose.NotAJwt:
                raise Unreadable(f"{where}: not a status list credential (vc+jwt)") from None
            self.by_id[str(payload.get("id"))] = token

    def __call__(self, url: str) -> str:
        if url in self.by_id:
            return self.by_id[url]
        if self.fetch and _is_url(url):
            try:
                return _read(url).strip()
            except Unreadable:
                raise StatusUnavailable(url) from None
        raise StatusUnavailable(url)


def _report(verdict: Verdict, language: str) -> dict[str, Any]:
    summary = verdict.summary
    return {
        "valid": verdict.valid,
        "reason": verdict.reason,
        "message": verdict.text(language),
        "certificate_number": summary.certificate_number if summary else None,
        "holder_name": summary.holder_name if summary else None,
        "issuer_name": summary.issuer_name if summary else None,
        "valid_from": summary.valid_from.isoformat() if summary and summary.valid_from else None,
        "valid_until": summary.valid_until.isoformat() if summary and summary.valid_until else None,
        "kid": verdict.kid,
        "status_as_of": verdict.status_as_of.isoformat() if verdict.status_as_of else None,
    }


_LABELS = {
    "nl": {"certificate_number": "Certificaatnummer", "holder_name": "Houder", "issuer_name": "Uitgever",
           "valid_from": "Geldig vanaf", "valid_until": "Geldig tot en met", "kid": "Sleutel",
           "status_as_of": "Statuslijst van", "reason": "Reden"},
    "en": {"certificate_number": "Certificate number", "holder_name": "Holder", "issuer_name": "Issuer",
           "valid_from": "Valid from", "valid_until": "Valid until", "kid": "Key",
           "status_as_of": "Status list as of", "reason": "Reason"},
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="recert-verify", description=(
        "Verify a Register Jobcoach credential (vc+jwt, or the JSON download that holds it)."))
    parser.add_argument("credential", help="the credential file (JSON download or the JWT); '-' reads stdin")
    parser.add_argument("--keys", required=True, help="file or URL of the published keys (JWKS)")
    parser.add_argument("--status-list", action="append", default=[], metavar="FILE_OR_URL",
                        help="file or URL of a status list credential (repeatable)")
    parser.add_argument("--fetch-status", action="store_true",
                        help="fetch the status list from the URL in the credential when no file gives it")
    parser.add_argument("--issuer", help="refuse a credential that names another issuer id")
    parser.add_argument("--at", help="verify as of this instant (ISO 8601); default: now")
    parser.add_argument("--lang", choices=("nl", "en"), default="nl")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        text = sys.stdin.read() if args.credential == "-" else _read(args.credential)
        try:
            token = jose.token_in(text)
        except jose.NotAJwt:
            token = text
        keys = _keys(args.keys)
        statuses = _StatusLists(args.status_list, args.fetch_status)
        now = datetime.fromisoformat(args.at.replace("Z", "+00:00")) if args.at else datetime.now(UTC)
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    except (Unreadable, ValueError) as exc:
        print(f"recert-verify: {exc}", file=sys.stderr)
        return 2
    verdict = verify(token, keys, statuses, now, issuer=args.issuer)
    report = _report(verdict, args.lang)
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(("GELDIG: " if args.lang == "nl" else "VALID: ") if verdict.valid else
              ("GEWEIGERD: " if args.lang == "nl" else "REFUSED: ") + "", end="")
        print(report["message"])
        for name, label in _LABELS[args.lang].items():
            if report[name] is not None:
                print(f"  {label}: {report[name]}")
    return 0 if verdict.valid else 1


if __name__ == "__main__":
    sys.exit(main())
