"""Waits until the gateway answers, then prints where it is and how to log in with the demo accounts."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import requests


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
    lines = ["", "=" * 78, f"  Gateway:        {gateway}/api/v1/",
             f"  API reference:  {gateway}/api/v1/docs", ""]
    for account in seed.get("accounts", []):
        lines.append(f"  {account['role']:<12} {account['email']:<32} password: {account['password']}")
    jobcoach = seed.get("jobcoach_totp")
    if jobcoach:
        lines += ["", "  The demo jobcoach is enrolled already. Add this secret to any authenticator app:",
                  f"    secret:      {jobcoach['secret']}", f"    otpauth URI: {jobcoach['otpauth_uri']}",
                  "  (staff accounts enrol on their first login: step 1 returns the QR code)"]
    lines += ["", "  Log in: POST /api/v1/auth/login {email, password} -> challenge_id;",
              "          POST /api/v1/auth/login/verify {challenge_id, code} -> access_token", "=" * 78, ""]
    print("\n".join(lines), flush=True)
    while True:  # honcho stops everything when one process exits; the banner stays until Ctrl-C
        time.sleep(3600)


if __name__ == "__main__":
    sys.exit(main())
