"""Identity's own commands: ``create-admin``, ``seed-demo`` and ``rotate-keys``.

Each prints JSON on stdout (for scripts such as the dev runner) and its errors on stderr: a refusal of the
service as the problem document the HTTP API would answer with (in English).
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any
from uuid import UUID

from recert_common.auth import Role
from recert_common.domain_errors import DomainError
from recert_common.rules import parse_registration_number
from recert_identity.domain import new_totp_secret, otpauth_uri
from recert_identity.problems import problem_map
from recert_identity.service import IdentityService, build_service
from recert_identity.settings import IdentitySettings

DEFAULT_DEMO_PASSWORD = "Demo-wachtwoord-2024"
# (role, e-mail, name, membership number): the jobcoach is a Noloc member, staff have no number.
DEMO_ACCOUNTS = (
    (Role.JOBCOACH, "jobcoach@example.org", "Anna de Vries", "1234567"),
    (Role.ASSESSOR, "assessor@example.org", "Bram Bakker", None),
    (Role.DNV_OFFICER, "dnv@example.org", "Dirk Visser", None),
    (Role.NOLOC_ADMIN, "admin@example.org", "Noor Jansen", None),
)


def _own(argv: list[str]) -> list[str]:
    # The shared command line hands over everything after the command name; options right after it only
    # get through behind "--" (``rotate-keys -- --immediately``), which is not ours to parse.
    return argv[1:] if argv[:1] == ["--"] else argv


def _print(document: dict[str, Any]) -> None:
    json.dump(document, sys.stdout, indent=2, default=str)
    print()


def _refused(settings: IdentitySettings, refusal: DomainError) -> int:
    problem = problem_map(settings.support).problem_for(refusal)
    if problem is None:
        raise refusal  # no answer for it: a programming error, shown with its traceback
    print(json.dumps(problem.to_dict("en"), default=str), file=sys.stderr)
    return 1


def create_admin(settings: IdentitySettings, argv: list[str], *,
                 service: IdentityService | None = None) -> int:
    """The first noloc_admin (and any later one an operator makes without the API)."""
    parser = argparse.ArgumentParser(prog="python -m recert_identity create-admin")
    parser.add_argument("email")
    parser.add_argument("name")
    parser.add_argument("--language", choices=("nl", "en"), default="nl")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin instead of prompting")
    args = parser.parse_args(_own(argv))
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != password:
            print("the passwords differ", file=sys.stderr)
            return 1
    service = service or build_service(settings)
    try:
        account = service.create_staff(email=args.email, full_name=args.name, password=password,
                                       roles=[Role.NOLOC_ADMIN], preferred_language=args.language)
    except DomainError as refusal:
        return _refused(settings, refusal)
    _print({"account_id": account.id, "email": account.email, "roles": list(account.roles)})
    return 0


def seed_demo(settings: IdentitySettings, argv: list[str], *,
              service: IdentityService | None = None) -> int:
    """Demo accounts for ``make dev``; running it again changes nothing and prints the same summary.

    Each account says how to pass the second step (``totp``): the jobcoach is enrolled here and gets its
    secret; staff link their app at their first login (``enrolled: false``) and, once they have, their
    secret is printed as well (``make demo`` links them and keeps the secrets in .dev/demo-staff.json)."""
    argparse.ArgumentParser(prog="python -m recert_identity seed-demo").parse_args(_own(argv))
    service = service or build_service(settings)
    password = settings.demo_password or DEFAULT_DEMO_PASSWORD
    summary: dict[str, Any] = {"accounts": []}
    try:
        for role, email, name, number in DEMO_ACCOUNTS:
            account = service.find_by_email(email)
            created = account is None
            if created and number is not None:
                # The demo's jobcoach goes through the real registration and confirms the address with the
                # link's token as the owner of the mailbox would.
                token = service.register_jobcoach(email=email, full_name=name, password=password,
                                                  number=parse_registration_number(number))
                account = service.verify_email(token, password)
            elif created:
                account = service.create_staff(email=email, full_name=name, password=password, roles=[role])
            entry = {"role": str(role), "email": email, "password": password, "account_id": account.id,
                     "created": created}
            if role == Role.JOBCOACH:
                summary["jobcoach_totp"] = _demo_totp(service, settings, account.id, email)
                entry["totp"] = {"enrolled": True, **summary["jobcoach_totp"]}
            else:
                entry["totp"] = _staff_totp(service, settings, account.id, email)
            summary["accounts"].append(entry)
    except DomainError as refusal:
        return _refused(settings, refusal)
    _print(summary)
    return 0


def _demo_totp(service: IdentityService, settings: IdentitySettings, account_id: UUID,
               email: str) -> dict[str, Any]:
    secret = service.totp_secret(account_id)
    entry: dict[str, Any] = {}
    if secret is None:
        secret = new_totp_secret()
        entry["recovery_codes"] = service.enrol_totp(account_id, secret)
    entry["secret"] = secret
    entry["otpauth_uri"] = otpauth_uri(secret, account_name=email, issuer=settings.totp_issuer)
    return entry


def _staff_totp(service: IdentityService, settings: IdentitySettings, account_id: UUID,
                email: str) -> dict[str, Any]:
    """A staff account links its own app at its first login (step 1 returns the QR code); once it has,
    its secret is read back (decrypted from identity's database), so the next ``make dev`` prints it."""
    secret = service.totp_secret(account_id)
    if secret is None:
        return {"enrolled": False}
    return {"enrolled": True, "secret": secret,
            "otpauth_uri": otpauth_uri(secret, account_name=email, issuer=settings.totp_issuer)}


def rotate_keys(settings: IdentitySettings, argv: list[str], *,
                service: IdentityService | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recert_identity rotate-keys")
    parser.add_argument("--immediately", action="store_true",
                        help="sign with the new key at once instead of publishing it first (a leaked key)")
    args = parser.parse_args(_own(argv))
    service = service or build_service(settings)
    _print(service.rotate_keys(immediately=args.immediately))
    return 0
