"""Waits until the gateway answers, then prints where it is and how to log in as every demo account.

Usage: ``dev_banner.py <seed.json> <gateway port>``. ``seed.json`` is what ``python -m recert_identity
seed-demo`` printed (``scripts/dev.py`` writes it into .dev/ on every start): per account its password and
how it passes the second login step (``totp``: its secret, or that it links an app at its first login).
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import requests


def banner(seed: dict[str, Any], gateway: str, dev_dir: Path) -> str:
    """What ``make dev`` prints once the gateway is ready: addresses, and how to log in as each account."""
    lines = ["", "=" * 78, f"  Portal:         {gateway}/", f"  Gateway:        {gateway}/api/v1/",
             f"  API reference:  {gateway}/api/v1/docs", "",
             "  Demo accounts (password, then a code from an authenticator app with the TOTP secret):"]
    for account in seed.get("accounts", []):
        lines.append(f"  {account['role']:<12} {account['email']:<24} password: {account['password']}")
        totp = account.get("totp") or (seed.get("jobcoach_totp") if account["role"] == "jobcoach" else None)
        if totp and totp.get("secret"):
            lines.append(f"  {'':<12} TOTP secret: {totp['secret']}")
        else:
            lines.append(f"  {'':<12} no app linked yet: the first login links one (step 1 returns the QR "
                         "code and its otpauth URI)")
    lines += ["",
              f"  Where the secrets are kept: this list in {dev_dir / 'seed.json'} (new at each start);",
              "  identity's database keeps each TOTP secret encrypted with the key in "
              f"{dev_dir / 'secrets.json'};",
              f"  `make demo` keeps the staff secrets it linked in {dev_dir / 'demo-staff.json'}.",
              "", "  Log in: POST /api/v1/auth/login {email, password} -> challenge_id;",
              "          POST /api/v1/auth/login/verify {challenge_id, code} -> access_token", "=" * 78, ""]
    return "\n".join(lines)


def main() -> int:
    seed_file, port = Path(sys.argv[1]), int(sys.argv[2])
    gateway = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if requests.get(f"{gateway}/readyz", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.5)
    else:
        print(f"the gateway at {gateway} did not become ready in 5 minutes; see the other processes' logs")
        return 1
    seed = json.loads(seed_file.read_text()) if seed_file.exists() else {}
    print(banner(seed, gateway, seed_file.parent), flush=True)
    while True:  # honcho stops everything when one process exits; the banner stays until Ctrl-C
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
