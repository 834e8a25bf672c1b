"""The ports the tests' servers are given: never one another worker may be given, nor one the kernel may
hand a client connection, nor one something listens on."""
from __future__ import annotations

import contextlib
import os
import random
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_fakes import serve

import ports
from ports import LOWEST, PortAllocator, ephemeral_range, free_port, worker_range
from processes import Process, System

LINUX_DEFAULT = (32_768, 60_999)


def test_each_worker_has_ports_of_its_own_below_the_ephemeral_range():
    first, second = (worker_range(f"gw{index}", 2, LINUX_DEFAULT) for index in (0, 1))
    assert first.start == LOWEST and second.stop <= LINUX_DEFAULT[0]
    assert not set(first) & set(second)
    assert len(first) == len(second) >= 10_000


def test_outside_xdist_the_process_takes_the_first_share():
    assert worker_range(None, 1, LINUX_DEFAULT) == range(LOWEST, LINUX_DEFAULT[0])


def test_an_ephemeral_range_that_starts_low_leaves_the_ports_above_it():
    share = worker_range("gw1", 2, (1_024, 40_000))
    assert share.start > 40_000 and share.stop <= 65_536


def test_the_ports_given_here_are_outside_the_kernels_ephemeral_range():
    low, high = ephemeral_range()
    taken = [free_port() for _ in range(20)]
    assert len(set(taken)) == 20
    assert not [port for port in taken if low <= port <= high]


def _free_block_of_this_worker(size: int = 10) -> range:
    """``size`` ports of this worker's own share that nothing holds now: no other worker is given them and
    the kernel hands none of them to a client (a fixed block at 50,000, in the ephemeral range, was once
    taken by a client connection of a busy run)."""
    share = ports._allocator.ports
    for start in range(share.stop - size, share.start, -size):
        block = range(start, start + size)
        if all(ports._can_bind(port) for port in block):
            return block
    raise AssertionError(f"no {size} free ports in a row in {share.start}-{share.stop - 1}")


def test_a_port_something_listens_on_is_skipped():
    allocator = PortAllocator(_free_block_of_this_worker(), random.Random(0))
    first = allocator.take()
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
    try:
        listener.bind(("127.0.0.1", first + 1 if first + 1 < allocator.ports.stop else allocator.ports.start))
        listener.listen(1)
        second = allocator.take()
        assert second not in (first, listener.getsockname()[1])
    finally:
        listener.close()


def test_a_full_range_is_said_so():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    try:
        with pytest.raises(RuntimeError, match="no free port"):
            PortAllocator(range(port, port + 1)).take()
    finally:
        listener.close()


def test_the_allocator_of_this_process_is_this_workers_share():
    expected = worker_range(os.environ.get("PYTEST_XDIST_WORKER"),
                            int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")), ephemeral_range())
    assert ports._allocator.ports == expected



def _answering_healthz(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"status": "ok"}']


@contextlib.contextmanager
def _web_on_a_held_port(tmp_path: Path) -> Iterator[tuple[System, Process, str]]:
    """A server answering ``/healthz`` on a port, and a process standing in for the service's web process
    on that port (it only waits; its log is the test's to write)."""
    with serve(_answering_healthz) as url:
        port = int(url.rsplit(":", 1)[1])
        system = System(infra=None, services=["web"], log_dir=tmp_path, ports={"web": port})
        waiting = [sys.executable, "-c", "import time; time.sleep(30)"]
        process = Process("web", subprocess.Popen(waiting, start_new_session=True), tmp_path / "web.log")
        try:
            yield system, process, url
        finally:
            process.kill()


def test_a_health_answer_from_another_server_on_the_port_is_not_the_services(tmp_path):
    """What CI met: the service could not bind its port, another worker's server answered on it."""
    with _web_on_a_held_port(tmp_path) as (system, process, _url):
        process.log.write_text("[ERROR] Connection in use: ('127.0.0.1', port)\n")
        with pytest.raises(RuntimeError, match="did not become healthy"):
            system.wait_healthy("web", process, timeout=1.0)


def test_a_service_that_says_it_bound_its_port_and_answers_is_healthy(tmp_path):
    with _web_on_a_held_port(tmp_path) as (system, process, url):
        process.log.write_text(f"[INFO] Listening at: {url} ({process.popen.pid})\n")
        system.wait_healthy("web", process, timeout=5.0)
