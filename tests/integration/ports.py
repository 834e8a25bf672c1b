"""Ports for the servers the tests start (services, the gateway, SMTP, S3, broker nodes).

A port the kernel picked for a socket bound to port 0 and closed again is free only for a moment: another
pytest-xdist worker may be given the same one before the service binds it, and any client connection on the
machine may take it as its local port, since both come from the kernel's ephemeral range. A service that
cannot bind its port then exits, and the other worker's server answers its health check in its place: in CI
the gateway of one worker sent certificate imports to a service of another, which answered 404.

So each worker takes its ports from a range of its own below the ephemeral range, one after the other, and
skips any port something already listens on. Where in its range a process starts is random, so that two
test runs on one machine seldom meet either.
"""
from __future__ import annotations

import itertools
import os
import random
import socket
import threading

LOWEST = 10_000


def ephemeral_range() -> tuple[int, int]:
    """The ports the kernel gives out on its own (``ip_local_port_range``)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            low, high = (int(part) for part in handle.read().split())
            return low, high
    except (OSError, ValueError):
        return 32_768, 60_999


def worker_range(worker: str | None, workers: int, ephemeral: tuple[int, int]) -> range:
    """The ports of one xdist worker (``gw0``, ``gw1``, ...; ``None`` outside xdist): an equal share of the
    ports between LOWEST and the ephemeral range, or above it where the range starts too low for that."""
    index = int(worker[2:]) if worker and worker.startswith("gw") and worker[2:].isdigit() else 0
    workers = max(workers, index + 1)
    low, high = (LOWEST, ephemeral[0]) if ephemeral[0] - LOWEST >= 10_000 else (ephemeral[1] + 1, 65_536)
    share = (high - low) // workers
    start = low + index * share
    return range(start, start + share)


def _can_bind(port: int) -> bool:
    with socket.socket() as sock:
        # As the servers bind (SO_REUSEADDR): a port whose last connection lingers in TIME_WAIT is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class PortAllocator:
    def __init__(self, ports: range, rng: random.Random | None = None) -> None:
        self.ports = ports
        offset = (rng or random.Random()).randrange(len(ports))
        self._next = itertools.cycle([*ports[offset:], *ports[:offset]])
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            for _ in range(len(self.ports)):
                port = next(self._next)
                if _can_bind(port):
                    return port
        raise RuntimeError(f"no free port in {self.ports.start}-{self.ports.stop - 1}")


_allocator = PortAllocator(worker_range(os.environ.get("PYTEST_XDIST_WORKER"),
                                        int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")),
                                        ephemeral_range()))


def free_port() -> int:
    """A port no other worker of this run is given, that nothing listens on now."""
    return _allocator.take()
