"""Two small "services" for the bus tests: a producer whose table of items changes with an event per change,
and a consumer that records one effect per event it handles. Plus a TCP proxy that can cut the broker."""
from __future__ import annotations

import json
import socket
import threading
import uuid
from functools import partial
from pathlib import Path

from kombu import Connection
from marshmallow import Schema, fields

from recert_common import bus
from recert_common.db import Database, migrate_service
from recert_common.events import event_type

import waiting

MIGRATIONS = Path(__file__).parent / "bus_migrations"


@event_type("bustest.item.changed", producer="bustest", summary="An item of the bus tests changed.")
class ItemChanged(Schema):
    item_id = fields.Integer(required=True)


def make_database(infra, name: str, service: str) -> Database:
    url = infra.database_url(name)
    migrate_service(url, service, MIGRATIONS / service)
    return Database(url, max_size=8).open(wait=True)


def change_items(db: Database, count: int, start: int = 0) -> list[uuid.UUID]:
    """``count`` state changes, each in its own transaction with its event."""
    ids = []
    for item_id in range(start, start + count):
        with db.transaction() as conn:
            conn.execute("INSERT INTO items (id) VALUES (%s)", (item_id,))
            ids.append(bus.record(conn, "bustest.item.changed", {"item_id": item_id}, producer="bustest").id)
    return ids


def record_effect(conn, event) -> None:
    conn.execute("INSERT INTO effects (item_id, event_id) VALUES (%s, %s)", (event.data["item_id"], event.id))


def effect_counts(db: Database) -> tuple[int, int]:
    with db.transaction() as conn:
        row = conn.execute("SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM effects").fetchone()
    return row["n"], row["d"]


# The bus tests move thousands of events: a longer timeout, polled a little less often.
wait_for = partial(waiting.wait_for, timeout=60.0, interval=0.05)


class TcpProxy:
    """Forwards a local port to the broker; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            # The 5 s was for connecting only: left on the socket, it cut every connection idle for 5 s
            # (a quiet consumer, an idle pooled database connection) as if the server had gone.
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update({client, upstream})
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def cut(self):
        self._open.clear()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def restore(self):
        self._open.set()

    def close(self):
        self._closed = True
        self.cut()
        self._server.close()


def take_all(amqp_url: str, queue: str) -> list[str]:
    """Take every message waiting in ``queue`` (acknowledged as taken): the ids of their events."""
    ids = []
    with Connection(amqp_url) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(queue, no_ack=True)) is not None:
            ids.append(json.loads(message.body)["id"])
    return ids
