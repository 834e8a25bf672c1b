"""`make dev`: the whole system on one machine under one supervisor (honcho).

PostgreSQL and RabbitMQ must answer already (`make dev` runs scripts/ensure-infra.sh first). This script
keeps files on the local disk in .dev/objects (RECERT_STORAGE=filesystem, ADR 0031: they survive restarts;
`RECERT_STORAGE=s3 make dev` uses an S3 store you run, e.g. MinIO, at RECERT_S3_ENDPOINT with
RECERT_S3_ACCESS_KEY and RECERT_S3_SECRET_KEY) and starts an SMTP sink, provisions the broker
(a vhost of this checkout's own, one broker user per service and for Noloc's and DNV's systems, with
passwords generated into .dev/secrets.json), migrates every service's database (and makes its buckets),
seeds the demo accounts, writes a Procfile with every service's web and worker process (each with its own
broker user), the gateway and the portal's rebuilder, and hands over to honcho. Ctrl-C stops everything it
started.

Dev data belongs to its checkout: .dev/secrets.json holds a random checkout id, and the databases
(``recert_<id>_<service>``), the broker vhost (``recert-<id>``) and users (``recert-<id>-<party>``) are named
with it, so a `make dev` in another checkout on the same machine never touches them (its data is encrypted
with this checkout's secrets). `python scripts/dev.py reset` removes this checkout's databases, vhost,
broker users and .dev folder, and nothing else.

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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / ".dev"
PYTHON = sys.executable
# Service name -> port of its web process. The gateway is 8000.
PORTS = {"identity": 8001, "portfolio": 8002, "pe-registry": 8003, "assessment": 8004,
         "notifications": 8005, "billing": 8006}
GATEWAY_PORT = int(os.environ.get("RECERT_GATEWAY_PORT", "8000"))
SMTP_PORT = 1025


def module(service: str) -> str:
    return "recert_" + service.replace("-", "_")


def present_services() -> list[str]:
    return [name for name in PORTS if (ROOT / "services" / name / "pyproject.toml").exists()]


def persistent_secret(name: str, make, dev: Path = DEV) -> str:
    """Secrets that must survive restarts (encrypted data depends on them) live in .dev/secrets.json."""
    dev.mkdir(parents=True, exist_ok=True)
    path = dev / "secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    if name not in stored:
        stored[name] = make()
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    return stored[name]


@dataclass(frozen=True)
class Names:
    """What this checkout's dev system is called on the machine's shared PostgreSQL and RabbitMQ.

    The id is kept in .dev/secrets.json beside the keys the data is encrypted with: a new .dev folder gets
    new secrets and a new id, so it starts on new, empty databases instead of another checkout's."""

    checkout_id: str

    @classmethod
    def of(cls, dev: Path = DEV) -> Names:
        return cls(persistent_secret("checkout_id", lambda: secrets.token_hex(3), dev))

    def database(self, service: str) -> str:
        return f"recert_{self.checkout_id}_{service.replace('-', '_')}"

    def database_url(self, postgres_url: str, service: str) -> str:
        return f"{postgres_url.rstrip('/')}/{self.database(service)}"

    @property
    def vhost(self) -> str:
        return f"recert-{self.checkout_id}"

    @property
    def user_prefix(self) -> str:
        return f"recert-{self.checkout_id}-"


def broker_admin_url() -> str:
    """The broker's administrator: its local guest unless RECERT_BROKER_ADMIN_URL names another."""
    host = os.environ.get("RECERT_BROKER_HOST", "127.0.0.1")
    return os.environ.get("RECERT_BROKER_ADMIN_URL", f"http://guest:guest@{host}:15672")


def broker_urls(services: list[str], env: dict[str, str], dev: Path = DEV) -> dict[str, str]:
    """Provision the dev broker as production does and return each service's own AMQP URL."""
    from recert_common.bus.access import parties
    from recert_common.bus.provision import amqp_url, password_variable

    host = os.environ.get("RECERT_BROKER_HOST", "127.0.0.1")
    names = Names.of(dev)
    passwords = {p.name: persistent_secret(f"broker_password_{p.name}", lambda: secrets.token_hex(24), dev)
                 for p in parties()}
    run([PYTHON, "-m", "recert_common.bus", "provision"], {
        **env, "RECERT_BROKER_VHOST": names.vhost, "RECERT_BROKER_ADMIN_URL": broker_admin_url(),
        **{password_variable(name): password for name, password in passwords.items()}}, capture=True)
    return {name: amqp_url(host, f"{names.user_prefix}{name}", passwords[name], names.vhost)
            for name in services}


def storage_environment(dev: Path = DEV) -> dict[str, str]:
    """Where the dev system keeps files: on the local disk under .dev/objects (kept across restarts and
    reboots), unless RECERT_STORAGE=s3: then in the S3 store the caller's RECERT_S3_* variables name, which
    must answer before `make dev` starts (its `migrate` makes the buckets)."""
    if os.environ.get("RECERT_STORAGE", "filesystem") == "s3":
        return {"RECERT_STORAGE": "s3", **{k: v for k, v in os.environ.items() if k.startswith("RECERT_S3_")}}
    return {"RECERT_STORAGE": "filesystem", "RECERT_STORAGE_DIR": str(dev / "objects")}


def environment(services: list[str], dev: Path = DEV) -> dict[str, str]:
    names = Names.of(dev)
    postgres = os.environ.get("RECERT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    env = {
        "RECERT_POSTGRES_URL": postgres,
        **{f"RECERT_{name.upper().replace('-', '_')}_DATABASE_URL": names.database_url(postgres, name)
           for name in services},
        "RECERT_BROKER_USER_PREFIX": names.user_prefix,
        **storage_environment(dev),
        "RECERT_SMTP_HOST": "127.0.0.1",
        "RECERT_SMTP_PORT": str(SMTP_PORT),
        "RECERT_JWKS_URL": f"http://127.0.0.1:{PORTS['identity']}/v1/.well-known/jwks.json",
        "RECERT_IDENTITY_SECRETS_KEY": persistent_secret(
            "identity_secrets_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(), dev),
        "RECERT_BILLING_WEBHOOK_SECRET": persistent_secret("billing_webhook_secret",
                                                           lambda: secrets.token_urlsafe(32), dev),
        "RECERT_ASSESSMENT_SECRETS_KEY": persistent_secret(
            "assessment_secrets_key", lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            dev),
        "RECERT_PORTFOLIO_CALENDAR_SECRET": persistent_secret("portfolio_calendar_secret",
                                                              lambda: secrets.token_urlsafe(32), dev),
        "RECERT_GATEWAY_CORS_ORIGINS": "http://localhost:3000,http://127.0.0.1:3000",
        "RECERT_LOG_LEVEL": "INFO",
        # One local broker: a quorum queue would replicate to nobody. And the dev vhost's queues, made by
        # every earlier `make dev`, are classic: a queue's type cannot change in place (ADR 0032).
        "RECERT_QUEUE_TYPE": "classic",
        "PYTHONUNBUFFERED": "1",
    }
    for name in services:
        env[f"RECERT_{name.upper().replace('-', '_')}_URL"] = f"http://127.0.0.1:{PORTS[name]}"
    return env


def procfile(services: list[str], amqp: dict[str, str]) -> str:
    lines = [
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


def reset(dev: Path = DEV, services: list[str] | None = None) -> list[str]:
    """Remove this checkout's dev data: its databases, broker vhost and users, and its .dev folder (secrets,
    files, mail). Names come from this checkout's .dev alone, so another checkout's data is never touched.
    Returns what was removed."""
    from recert_common.bus.access import parties
    from recert_common.bus.provision import BrokerAdmin, deprovision
    from recert_common.db import drop_database

    if not (dev / "secrets.json").exists():
        return []
    names = Names.of(dev)
    postgres = os.environ.get("RECERT_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
    removed = []
    for name in present_services() if services is None else services:
        drop_database(names.database_url(postgres, name))
        removed.append(f"database {names.database(name)}")
    deprovision(BrokerAdmin(broker_admin_url()), vhost=names.vhost, user_prefix=names.user_prefix)
    removed += [f"vhost {names.vhost}"] + [f"broker user {p.user(names.user_prefix)}" for p in parties()]
    shutil.rmtree(dev)
    removed.append(f"folder {dev}")
    return removed


def main() -> int:
    services = present_services()
    env = environment(services)
    names = Names.of()
    files = env.get("RECERT_STORAGE_DIR") or "S3 at " + env.get("RECERT_S3_ENDPOINT", "127.0.0.1:9000")
    print(f"dev: checkout {names.checkout_id}: databases {names.database('<service>')}, vhost {names.vhost}, "
          f"files in {files}")
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
    print(f"dev: starting {len(services)} services, the gateway and SMTP under honcho (Ctrl-C stops all)")
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
    if sys.argv[1:2] == ["reset"]:
        for line in reset() or ["nothing to reset: no .dev/secrets.json in this checkout"]:
            print(f"dev reset: {line}")
        sys.exit(0)
    if sys.argv[1:2] == ["backup"]:
        sys.exit(backup(sys.argv[2:]))
    sys.exit(main())
