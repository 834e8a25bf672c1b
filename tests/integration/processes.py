"""Services as real processes for the end-to-end tests: migrated, then web and worker started with the
run's infrastructure, waited for until each has bound its port and answers ``/healthz``, and stopped
(SIGTERM, then SIGKILL) at the end.

Each process writes its log to a file; a service that does not come up fails the test with the log's tail.
"""
from __future__ import annotations

import base64
import importlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from kombu import Connection, Exchange, Producer

from recert_common.bus.access import parties
from recert_common.bus.provision import BrokerAdmin, amqp_url, deprovision, provision
from recert_common.events import new_event
from recert_common.runtime import run_migrations

import forkserver
from bus_fixtures import TcpProxy
from ports import free_port

MODULES = {
    "identity": "recert_identity",
    "portfolio": "recert_portfolio",
    "pe-registry": "recert_pe_registry",
    "assessment": "recert_assessment",
    "notifications": "recert_notifications",
    "billing": "recert_billing",
    "gateway": "recert_gateway",
}


def _via(url: str, port: int) -> str:
    """``url`` with its host and port replaced by the local proxy's."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@127.0.0.1:{port}" if credentials else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def log_tail(log: Path, lines: int) -> str:
    """The last ``lines`` of a process's log, for a failure's message."""
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Process:
    name: str
    popen: subprocess.Popen | forkserver.ForkedPopen
    log: Path

    def tail(self, lines: int = 40) -> str:
        return log_tail(self.log, lines)

    def kill(self) -> None:
        """SIGKILL to the whole process group: no chance to finish anything."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)

    def stop(self, timeout: float = 10.0) -> None:
        self.ask_to_stop()
        self.wait_stopped(timeout)

    def ask_to_stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)

    def wait_stopped(self, timeout: float = 10.0) -> None:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)


def wait_serving(process: Process, url: str, timeout: float = 60.0) -> None:
    """Until the web process ``process`` has bound ``url``'s port (gunicorn says so in its log, with the
    process's pid) and answers ``/healthz`` there. The log line matters: an answer alone may come from
    another server that holds the port, while ours fails to bind it and exits."""
    deadline = time.monotonic() + timeout
    bound = f"Listening at: {url} ({process.popen.pid})"
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            code = process.popen.returncode
            raise RuntimeError(f"{process.name} exited with {code}:\n{process.tail()}")
        try:
            if (bound in process.log.read_text(errors="replace")
                    and requests.get(f"{url}/healthz", timeout=1).status_code == 200):
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{process.name} did not become healthy in {timeout}s:\n{process.tail()}")


@dataclass
class System:
    """The services of one test module, and the environment they share."""

    infra: object
    services: list[str]
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    # With proxied=True the services reach PostgreSQL and RabbitMQ through TCP proxies the fault tests cut.
    proxied: bool = False
    proxies: dict[str, TcpProxy] = field(default_factory=dict)
    # With broker_users=True the system runs as compose and `make dev` do: a vhost of its own, every service
    # (and Noloc, DNV, and whoever ``publish`` speaks for) its own broker user, the strict user_id check.
    # RECERT_TEST_BROKER_USERS=1 makes it the default, to run any end-to-end module that way.
    broker_users: bool = field(default_factory=lambda: os.environ.get("RECERT_TEST_BROKER_USERS") == "1")
    broker: dict[str, str] = field(default_factory=dict)   # party -> its AMQP URL
    _broker_teardown: object = None
    # Workers only, no web processes and no gateway: a system whose test only moves events between services
    # (half the processes to start on a loaded machine).
    workers_only: bool = False

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    @property
    def gateway(self) -> str:
        return self.url("gateway")

    def _build_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECERT_")}
        for name in self.services if self.workers_only else [*self.services, "gateway"]:
            self.ports[name] = free_port()
        # Databases, an exchange and queue names of this system alone: another module's services, their
        # data (encrypted with another secrets key) or events left in a queue by them never reach this one.
        tag = uuid.uuid4().hex[:6]
        for name in self.services:
            env.update(self.infra.settings_env(name, tag=f"s{tag}"))
            env[f"RECERT_{name.upper().replace('-', '_')}_URL"] = self.url(name)
        env["RECERT_EXCHANGE"] = f"{self.infra.exchange}.{tag}"
        env["RECERT_QUEUE_PREFIX"] = f"{self.infra.queue_prefix}{tag}."
        self.infra.exchanges.add(env["RECERT_EXCHANGE"])
        if not self.workers_only:
            env.update({"RECERT_GATEWAY_URL": self.url("gateway"),
                        "RECERT_JWKS_URL": f"{self.url('identity')}/v1/.well-known/jwks.json",
                        # Credentials name the gateway as the platform's public address (ADR 0030).
                        "RECERT_ASSESSMENT_PUBLIC_URL": self.url("gateway")})
        env.update({
            "RECERT_LOG_LEVEL": "INFO",
            "RECERT_RELAY_POLL_SECONDS": "1",
            # Six services with a web and a worker pool each must fit in PostgreSQL's default 100
            # connections beside the rest of the suite; tests never need more than a few at once.
            "RECERT_DB_POOL_SIZE": "4",
            "PYTHONUNBUFFERED": "1",
            "RECERT_IDENTITY_SECRETS_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "RECERT_ASSESSMENT_SECRETS_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            # Cheap argon2 parameters keep the suite fast; the algorithm (argon2id) is the production one.
            "RECERT_IDENTITY_ARGON2_TIME_COST": "1",
            "RECERT_IDENTITY_ARGON2_MEMORY_KIB": "1024",
            "RECERT_IDENTITY_ARGON2_PARALLELISM": "1",
            # Issue 14 (ADR 0026): the key of the wegwijzer's secret calendar feed addresses.
            "RECERT_PORTFOLIO_CALENDAR_SECRET": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        })
        env.update(self.extra_env)
        if self.broker_users:
            self._provision_broker(env, tag)
        if self.proxied:
            self._route_through_proxies(env)
        return env

    def _provision_broker(self, env: dict[str, str], tag: str) -> None:
        admin = BrokerAdmin(self.infra.broker_admin_url)
        vhost, prefix = f"t{self.infra.run_id}.{tag}", f"t{self.infra.run_id}{tag}-"
        table = parties()
        passwords = {p.name: uuid.uuid4().hex for p in table}
        provision(admin, passwords, vhost=vhost, exchange=env["RECERT_EXCHANGE"], user_prefix=prefix,
                  queue_prefix=env["RECERT_QUEUE_PREFIX"], table=table, queue_type=env["RECERT_QUEUE_TYPE"])
        self._broker_teardown = lambda: deprovision(admin, vhost=vhost, user_prefix=prefix, table=table)
        amqp = Connection(self.infra.amqp_url)
        self.broker = {p.name: amqp_url(amqp.hostname, p.user(prefix), passwords[p.name], vhost,
                                        amqp.port or 5672) for p in table}
        env["RECERT_BROKER_USER_PREFIX"] = prefix
        env["RECERT_BUS_TRUSTED_USERS"] = ""

    def env_of(self, service: str) -> dict[str, str]:
        """The environment of one service's processes: with broker users, its own AMQP URL."""
        if service in self.broker:
            url = self.broker[service]
            if self.proxied:
                url = _via(url, self.proxies["rabbitmq"].port)
            return {**self.env, "RECERT_AMQP_URL": url}
        return self.env

    def _route_through_proxies(self, env: dict[str, str]) -> None:
        for name, variable in (("postgres", "RECERT_POSTGRES_URL"), ("rabbitmq", "RECERT_AMQP_URL")):
            target = urlsplit(env[variable])
            self.proxies[name] = TcpProxy(target.hostname, target.port)
        for key, value in list(env.items()):
            if key.endswith("_DATABASE_URL") or key == "RECERT_POSTGRES_URL":
                env[key] = _via(value, self.proxies["postgres"].port)
            elif key == "RECERT_AMQP_URL":
                env[key] = _via(value, self.proxies["rabbitmq"].port)

    def _spawn(self, name: str, args: list[str], service: str = "") -> Process:
        log = self.log_dir / f"{name}.log"
        if forkserver.enabled():
            popen = forkserver.server().spawn(args[0], args[1:], self.env_of(service), log)
        else:
            with open(log, "ab") as handle:
                popen = subprocess.Popen([sys.executable, "-m", *args], env=self.env_of(service),
                                         stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def migrate(self, name: str) -> None:
        """``name``'s ``migrate`` command, run here with the service's environment: the same function
        (``runtime.run_migrations``) the command runs, without a second of interpreter start-up per
        service and system."""
        spec = importlib.import_module(f"{MODULES[name]}.__main__").SPEC
        try:
            run_migrations(spec, spec.settings_cls.from_env(spec.name, self.env_of(name)))
        except Exception as exc:
            raise RuntimeError(f"migrating {name} failed: {type(exc).__name__}: {exc}") from exc

    def migrate_all(self) -> None:
        """Every service's migrations side by side: each has a database of its own, and the time goes in
        waiting for PostgreSQL and the broker."""
        with ThreadPoolExecutor(len(self.services)) as pool:
            list(pool.map(self.migrate, self.services))

    def start_web(self, name: str) -> Process:
        return self._spawn(f"{name}-web", [MODULES[name], "web", "--port", str(self.ports[name])], name)

    def start_worker(self, name: str) -> Process:
        return self._spawn(f"{name}-worker", [MODULES[name], "worker"], name)

    def wait_healthy(self, name: str, process: Process, timeout: float = 60.0) -> None:
        wait_serving(process, self.url(name), timeout)

    def start(self, before_migrate: Callable[[System], None] | None = None) -> System:
        """Migrate and start every process. ``before_migrate`` runs once the environment (and so each
        service's new, empty database) exists: a restore puts a backup there."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = self._build_env()
        if before_migrate is not None:
            before_migrate(self)
        self.migrate_all()
        webs = [] if self.workers_only else [(name, self.start_web(name)) for name in self.services]
        workers = [self.start_worker(name) for name in self.services]
        if not self.workers_only:
            webs.append(("gateway", self.start_web("gateway")))
        for name, process in webs:
            self.wait_healthy(name, process)
        for process in workers:
            self.wait_for_line(process, '"worker started"')
        return self

    def wait_for_line(self, process: Process, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.popen.poll() is not None:
                code = process.popen.returncode
                raise RuntimeError(f"{process.name} exited with {code}:\n{process.tail()}")
            if text in process.log.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{process.name} did not log {text} in {timeout}s:\n{process.tail()}")

    def stop(self) -> None:
        # All at once: each process takes its time to finish its work, and a module's teardown need not
        # wait for them one after the other.
        for process in reversed(self.processes):
            process.ask_to_stop()
        for process in reversed(self.processes):
            process.wait_stopped()
        for proxy in self.proxies.values():
            proxy.close()
        if self._broker_teardown is not None:
            self._broker_teardown()

    @property
    def exchange(self) -> str:
        return self.env["RECERT_EXCHANGE"]

    def database_url(self, name: str) -> str:
        return self.env[f"RECERT_{name.upper().replace('-', '_')}_DATABASE_URL"]

    def publish(self, type_: str, data: dict, *, subject=None, producer: str = "noloc") -> str:
        """Publish an event as another system (Noloc, or a service not running here) would."""
        return self.publish_many(type_, [data], subject=subject, producer=producer)[0]

    def publish_many(self, type_: str, items: list[dict], *, subject=None,
                     producer: str = "noloc") -> list[str]:
        events = [new_event(type_, data, producer=producer, subject=subject) for data in items]
        exchange = Exchange(self.exchange, type="topic", durable=True)
        # Straight to the broker: the proxy in front of it may be cut by a fault test. With broker users,
        # as the producer's own user, as Noloc's system or the producing service would.
        url = self.broker.get(producer, self.infra.amqp_url)
        with Connection(url, transport_options={"confirm_publish": True}) as conn:
            producer_ = Producer(conn.channel())
            for event in events:
                producer_.publish(event.to_json(), exchange=exchange, routing_key=type_,
                                  content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                                  user_id=conn.userid)
        return [str(event.id) for event in events]

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in self.processes)
