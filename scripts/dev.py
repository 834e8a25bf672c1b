"""`make dev`: the whole system on one machine under one supervisor (honcho).

PostgreSQL and RabbitMQ must answer already (`make dev` runs scripts/ensure-infra.sh first). This script
starts an S3 endpoint (a MinIO binary when one is on PATH, else moto's server from PyPI) and an SMTP sink,
provisions the broker (vhost "recert", one broker user per service and for Noloc's and DNV's systems, with
passwords generated into .dev/secrets.json), migrates every service's database, seeds the demo accounts,
writes a Procfile with every service's web and worker process (each with its own broker user), the
gateway and the portal's rebuilder, and hands over to honcho. Ctrl-C stops everything it started.

The portal (web/) is built by `make web` before this script runs and served by the gateway at "/"; under
honcho `vite build --watch` rebuilds it into web/dist whenever its sources change (reload the page to see
it). `python scripts/dev.py web-watch` is that process; the banner (scripts/dev_banner.py) prints the
portal's address with the others once the gateway answers.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
PYTHON = sys.executable
# Service name -> port of its web process. The gateway is 8000.
PORTS = {"identity": 8001, "portfolio": 8002, "pe-registry": 8003, "assessment": 8004,
         "notifications": 8005, "billing": 8006}
GATEWAY_PORT = int(os.environ.get("RECERT_GATEWAY_PORT", "8000"))
S3_PORT, SMTP_PORT = 9000, 1025


def module(service: str) -> str:
    return "recert_" + service.replace("-", "_")


def present_services() -> list[str]:
    return [name for name in PORTS if (ROOT / "services" / name / "pyproject.toml").exists()]


def persistent_secret(name: str, make) -> str:
    """Secrets that must survive restarts (encrypted data depends on them) live in .dev/secrets.json."""
    path = DEV / "secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    if name not in stored:
        stored[name] = make()
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    return stored[name]


def broker_urls(services: list[str], env: dict[str, str]) -> dict[str, str]:
    """Provision the dev broker as production does and return each service's own AMQP URL.

    The administrator is the broker's local guest unless RECERT_BROKER_ADMIN_URL names another."""
    from recert_common.bus.access import parties
    from recert_common.bus.provision import amqp_url, password_variable

    host = os.environ.get("RECERT_BROKER_HOST", "127.0.0.1")
    passwords = {p.name: persistent_secret(f"broker_password_{p.name}", lambda: secrets.token_hex(24))
                 for p in parties()}
    run([PYTHON, "-m", "recert_common.bus", "provision"], {
        **env, "RECERT_BROKER_VHOST": "recert",
        "RECERT_BROKER_ADMIN_URL": os.environ.get("RECERT_BROKER_ADMIN_URL", f"http://guest:guest@{host}:15672"),
        **{password_variable(name): password for name, password in passwords.items()}}, capture=True)
    return {name: amqp_url(host, f"recert-{name}", passwords[name], "recert") for name in services}


def environment(services: list[str]) -> dict[str, str]:
    env = {
        "RECERT_POSTGRES_URL": os.environ.get("RECERT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432"),
        "RECERT_S3_ENDPOINT": f"127.0.0.1:{S3_PORT}",
        "RECERT_S3_ACCESS_KEY": "recert",
        "RECERT_S3_SECRET_KEY": persistent_secret("s3_secret_key", lambda: secrets.token_urlsafe(24)),
        "RECERT_S3_SECURE": "false",
        "RECERT_SMTP_HOST": "127.0.0.1",
        "RECERT_SMTP_PORT": str(SMTP_PORT),
        "RECERT_JWKS_URL": f"http://127.0.0.1:{PORTS['identity']}/v1/.well-known/jwks.json",
        "RECERT_IDENTITY_SECRETS_KEY": persistent_secret(
            "identity_secrets_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()),
        "RECERT_BILLING_WEBHOOK_SECRET": persistent_secret("billing_webhook_secret",
                                                           lambda: secrets.token_urlsafe(32)),
        "RECERT_ASSESSMENT_SECRETS_KEY": persistent_secret(
            "assessment_secrets_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()),
        "RECERT_PORTFOLIO_CALENDAR_SECRET": persistent_secret("portfolio_calendar_secret",
                                                              lambda: secrets.token_urlsafe(32)),
        "RECERT_GATEWAY_CORS_ORIGINS": "http://localhost:3000,http://127.0.0.1:3000",
        "RECERT_LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    for name in services:
        env[f"RECERT_{name.upper().replace('-', '_')}_URL"] = f"http://127.0.0.1:{PORTS[name]}"
    return env


def s3_command() -> str:
    if shutil.which("minio"):
        return f"minio server {DEV / 'minio'} --address 127.0.0.1:{S3_PORT} --console-address 127.0.0.1:9001"
    # MinIO is not packaged for Debian or PyPI; moto's server speaks the same S3 API (kept in memory).
    return f"{PYTHON} -m moto.server -H 127.0.0.1 -p {S3_PORT}"


def procfile(services: list[str], amqp: dict[str, str]) -> str:
    lines = [
        f"s3: {s3_command()}",
        f"smtp: {PYTHON} {ROOT / 'scripts' / 'smtp_sink.py'} --port {SMTP_PORT} --dir {DEV / 'mail'}",
    ]
    for name in services:
        short = name.replace("-", "")
        own = f"RECERT_AMQP_URL={amqp[name]}"  # each service its own broker user
        lines.append(f"{short}: {own} {PYTHON} -m {module(name)} web --port {PORTS[name]}")
        lines.append(f"{short}_worker: {own} {PYTHON} -m {module(name)} worker")
    if (ROOT / "gateway" / "pyproject.toml").exists():
        lines.append(f"gateway: {PYTHON} -m recert_gateway web --port {GATEWAY_PORT}")
    if (ROOT / "web" / "package.json").exists() and shutil.which("npm"):
        lines.append(f"web: {PYTHON} {ROOT / 'scripts' / 'dev.py'} web-watch")
    lines.append(f"banner: {PYTHON} {ROOT / 'scripts' / 'dev_banner.py'} {DEV / 'seed.json'} {GATEWAY_PORT}")
    return "\n".join(lines) + "\n"


def run(args: list[str], env: dict[str, str], capture: bool = False) -> str:
    result = subprocess.run(args, env={**os.environ, **env}, cwd=ROOT, text=True,
                            capture_output=capture)
    if result.returncode != 0:
        sys.exit(f"dev: {' '.join(args)} failed:\n{result.stdout or ''}{result.stderr or ''}")
    return result.stdout if capture else ""


def start_from_empty_databases(services: list[str], env: dict[str, str]) -> None:
    """A new .dev folder has new secrets, and data encrypted with the old ones (TOTP secrets, signing keys)
    could never be read again: the dev databases of an earlier checkout go, so the run starts clean."""
    for name in services:
        url = f"{env['RECERT_POSTGRES_URL']}/recert_{name.replace('-', '_')}"
        run([PYTHON, "-c", f"from recert_common.db import drop_database; drop_database({url!r})"], env)
    print("dev: new .dev folder: started from empty databases")


def main() -> int:
    fresh = not (DEV / "secrets.json").exists()
    DEV.mkdir(exist_ok=True)
    services = present_services()
    env = environment(services)
    if fresh:
        start_from_empty_databases(services, env)
    print(f"dev: services present: {', '.join(services) or '(none yet)'}"
          f"{'' if (ROOT / 'gateway' / 'pyproject.toml').exists() else ' - no gateway yet'}")
    amqp = broker_urls(services, env)
    for name in services:
        run([PYTHON, "-m", module(name), "migrate"], {**env, "RECERT_AMQP_URL": amqp[name]})
    seed = {}
    if "identity" in services:
        seed = json.loads(run([PYTHON, "-m", "recert_identity", "seed-demo"],
                              {**env, "RECERT_AMQP_URL": amqp["identity"]}, capture=True))
    (DEV / "seed.json").write_text(json.dumps(seed, indent=2))
    (DEV / "Procfile").write_text(procfile(services, amqp))
    (DEV / "Procfile").chmod(0o600)  # it holds the services' broker passwords
    (DEV / "dev.env").write_text("".join(f"{k}={v}\n" for k, v in sorted(env.items())))
    print(f"dev: starting {len(services)} services, the gateway, S3 and SMTP under honcho (Ctrl-C stops all)")
    honcho = [PYTHON, "-m", "honcho", "start", "-f", str(DEV / "Procfile"), "-e", str(DEV / "dev.env"),
              "-d", str(ROOT)]
    os.execvpe(PYTHON, honcho, {**os.environ, **env})


def web_watch() -> int:
    """`vite build --watch` while honcho runs: the portal (its address is in the banner) is rebuilt into
    web/dist when web/src changes; a reload of the page shows it."""
    os.chdir(ROOT / "web")
    os.execvp("npm", ["npm", "run", "--silent", "watch"])


def backup(args: list[str]) -> int:
    """`python -m recert_common.backup ARGS` against the running `make dev` system, with the environment it
    was started with (.dev/dev.env), e.g. `make backup`."""
    written = DEV / "dev.env"
    if not written.exists():
        sys.exit("dev: no .dev/dev.env: start the system with `make dev` first")
    env = dict(line.split("=", 1) for line in written.read_text().splitlines() if "=" in line)
    os.execvpe(PYTHON, [PYTHON, "-m", "recert_common.backup", *args], {**os.environ, **env})


if __name__ == "__main__":
    if sys.argv[1:2] == ["web-watch"]:
        sys.exit(web_watch())
    if sys.argv[1:2] == ["backup"]:
        sys.exit(backup(sys.argv[2:]))
    sys.exit(main())
