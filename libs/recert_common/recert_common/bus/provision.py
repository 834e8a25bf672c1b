"""Creating the platform's vhost, broker users, permissions, topic permissions, the events exchange and the
outside parties' queues from the table in ``access``, through RabbitMQ's management HTTP API.

Idempotent: every call is a PUT of the desired state (a binding that exists already is the same binding), so
an operator runs it on every deployment, before any service starts. The HTTP API rather than ``rabbitmqctl``
because it works from any container that reaches the broker's management port; ``rabbitmqctl`` needs the
broker's Erlang cookie and node name, i.e. a shell inside the broker's own container (ADR 0016).

Passwords come from the environment (``RECERT_BROKER_PASSWORD_<PARTY>``, e.g.
``RECERT_BROKER_PASSWORD_PE_REGISTRY``): a party without a password is an error, never a default.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit, urlunsplit

import requests

from recert_common.bus.access import DEFAULT_USER_PREFIX, DEFAULT_VHOST, Party, parties


class ProvisioningError(RuntimeError):
    pass


def password_variable(party_name: str) -> str:
    return "RECERT_BROKER_PASSWORD_" + party_name.upper().replace("-", "_")


@dataclass
class BrokerAdmin:
    """The management API of one broker, as an administrator: ``http://user:password@host:15672``."""

    url: str
    timeout: float = 10.0
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self):
        parts = urlsplit(self.url)
        if parts.username:
            self.session.auth = (parts.username, parts.password or "")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.base = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))

    def _call(self, method: str, path: str, json=None, ok=(200, 201, 204)) -> requests.Response:
        response = self.session.request(method, f"{self.base}/api/{path}", json=json, timeout=self.timeout)
        if response.status_code not in ok:
            raise ProvisioningError(f"{method} /api/{path}: {response.status_code} {response.text[:300]}")
        return response

    @staticmethod
    def _q(name: str) -> str:
        return quote(name, safe="")

    def put_vhost(self, vhost: str) -> None:
        self._call("PUT", f"vhosts/{self._q(vhost)}", {})

    def delete_vhost(self, vhost: str) -> None:
        self._call("DELETE", f"vhosts/{self._q(vhost)}", ok=(204, 404))

    def put_user(self, user: str, password: str) -> None:
        self._call("PUT", f"users/{self._q(user)}", {"password": password, "tags": ""})

    def delete_user(self, user: str) -> None:
        self._call("DELETE", f"users/{self._q(user)}", ok=(204, 404))

    def put_permissions(self, vhost: str, user: str, permissions: Mapping[str, str]) -> None:
        self._call("PUT", f"permissions/{self._q(vhost)}/{self._q(user)}", dict(permissions))

    def put_topic_permissions(self, vhost: str, user: str, exchange: str, write: str, read: str) -> None:
        self._call("PUT", f"topic-permissions/{self._q(vhost)}/{self._q(user)}",
                   {"exchange": exchange, "write": write, "read": read})

    def put_exchange(self, vhost: str, name: str) -> None:
        self._call("PUT", f"exchanges/{self._q(vhost)}/{self._q(name)}",
                   {"type": "topic", "durable": True, "auto_delete": False, "internal": False})

    def queue_type(self, vhost: str, name: str) -> str | None:
        """The type of an existing queue, or None when there is none."""
        response = self._call("GET", f"queues/{self._q(vhost)}/{self._q(name)}", ok=(200, 404))
        return response.json().get("type") if response.status_code == 200 else None

    def put_queue(self, vhost: str, name: str, queue_type: str = "quorum") -> None:
        # A queue that exists with another type is refused (400, "inequivalent arg 'x-queue-type'"): a type
        # cannot change in place (ADR 0032).
        self._call("PUT", f"queues/{self._q(vhost)}/{self._q(name)}",
                   {"durable": True, "auto_delete": False, "arguments": {"x-queue-type": queue_type}})

    def bind(self, vhost: str, exchange: str, queue: str, routing_key: str) -> None:
        self._call("POST", f"bindings/{self._q(vhost)}/e/{self._q(exchange)}/q/{self._q(queue)}",
                   {"routing_key": routing_key})

    def users(self) -> set[str]:
        return {u["name"] for u in self._call("GET", "users").json()}


@dataclass(frozen=True)
class Provisioned:
    vhost: str
    users: dict[str, str]          # party -> broker user
    queues: dict[str, str]         # outside party -> its queue
    kept: dict[str, str] = field(default_factory=dict)  # queue -> its type, where that is not queue_type


def provision(admin: BrokerAdmin, passwords: Mapping[str, str], *, vhost: str = DEFAULT_VHOST,
              exchange: str = "recert.events", user_prefix: str = DEFAULT_USER_PREFIX, queue_prefix: str = "",
              table: list[Party] | None = None, queue_type: str = "quorum") -> Provisioned:
    """Make the broker match the table. ``passwords`` maps each party's name to its password; the outside
    parties' queues are of ``queue_type`` (RECERT_QUEUE_TYPE, as the services' own queues). An outside
    party's queue that exists with another type is kept as it is and reported in ``kept``: its type cannot
    change in place, and the messages in it are the party's (docs/operations.md, "Moving to quorum
    queues")."""
    table = parties() if table is None else table
    missing = sorted(p.name for p in table if not passwords.get(p.name))
    if missing:
        raise ProvisioningError("no broker password for " + ", ".join(
            f"{name} ({password_variable(name)})" for name in missing))
    admin.put_vhost(vhost)
    admin.put_exchange(vhost, exchange)
    users, queues, kept = {}, {}, {}
    for p in table:
        user = p.user(user_prefix)
        admin.put_user(user, passwords[p.name])
        admin.put_permissions(vhost, user, p.permissions(exchange, queue_prefix))
        admin.put_topic_permissions(vhost, user, exchange, write=p.topic_write(), read=p.topic_read())
        users[p.name] = user
        queue = p.outside_queue(queue_prefix)
        if queue:
            existing = admin.queue_type(vhost, queue)
            if existing not in (None, queue_type):
                kept[queue] = existing
            else:
                admin.put_queue(vhost, queue, queue_type)
            for key in p.receives:
                admin.bind(vhost, exchange, queue, key)
            queues[p.name] = queue
    return Provisioned(vhost, users, queues, kept)


def deprovision(admin: BrokerAdmin, *, vhost: str, user_prefix: str,
                table: list[Party] | None = None) -> None:
    """Delete the vhost (with its exchanges and queues) and the table's users: for test runs."""
    admin.delete_vhost(vhost)
    for p in parties() if table is None else table:
        admin.delete_user(p.user(user_prefix))


def passwords_from_env(env: Mapping[str, str] | None = None,
                       table: list[Party] | None = None) -> dict[str, str]:
    env = os.environ if env is None else env
    table = parties() if table is None else table
    return {p.name: env.get(password_variable(p.name), "") for p in table}


def amqp_url(host: str, user: str, password: str, vhost: str, port: int = 5672) -> str:
    return f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{port}/{quote(vhost, safe='')}"
