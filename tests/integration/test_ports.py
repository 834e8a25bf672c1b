"""The ports the tests' servers are given: never one another worker may be given, nor one the kernel may
hand a client connection, nor one something listens on."""
from __future__ import annotations

import os
import random
import socket

import pytest

import ports
from ports import LOWEST, PortAllocator, ephemeral_range, free_port, worker_range

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


def test_a_port_something_listens_on_is_skipped():
    allocator = PortAllocator(range(LOWEST + 40_000, LOWEST + 40_010), random.Random(0))
    first = allocator.take()
    listener = socket.socket()
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
