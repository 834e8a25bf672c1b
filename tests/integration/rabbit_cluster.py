"""A RabbitMQ cluster of three nodes on this machine, from the installed Debian package, for the test that
kills one of them: never the machine's shared broker (5672), which the other tests use.

Each node has its own name (``recert-<run>-a@localhost`` ...), AMQP and distribution ports, data and log
directories under a temporary directory, and the run's own Erlang cookie (in a ``HOME`` of its own, which
``rabbitmqctl`` reads too). The package's ``/usr/sbin`` wrappers switch to the ``rabbitmq`` user and its
``HOME`` (the shared node's cookie), so the scripts under ``/usr/lib/rabbitmq/bin`` are run directly.

The nodes form the cluster as they boot (``classic_config`` peer discovery names the first node): the first
boots alone, the other two join it while they boot, which saves each of them a ``stop_app``,
``join_cluster``, ``start_app`` round of the command line (a few seconds each on a loaded machine). A node
opens its AMQP port only after it has joined. Not all three at once: on RabbitMQ 3.10, nodes that boot
together can each wait for another's peer discovery lock, and none finishes (seen here). No plugins: the
management plugin would want port 15672, which the shared broker holds.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ports import free_port

BIN = Path(os.environ.get("RECERT_TEST_RABBITMQ_BIN", "/usr/lib/rabbitmq/bin"))


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Node:
    name: str            # e.g. recert-1a2b3c-a@localhost
    amqp_port: int
    dist_port: int
    directory: Path

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}//"

    @property
    def pid_file(self) -> Path:
        return self.directory / "pid"


@dataclass
class RabbitCluster:
    base: Path
    size: int = 3
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    nodes: list[Node] = field(default_factory=list)

    def __post_init__(self):
        self.home = self.base / "home"
        self.nodes = [Node(f"recert-{self.run}-{letter}@localhost", free_port(), free_port(),
                           self.base / letter) for letter in "abcdefg"[:self.size]]

    @property
    def url(self) -> str:
        """Every node, separated by ``;``: what a deployment puts in RECERT_AMQP_URL."""
        return ";".join(node.url for node in self.nodes)

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    # -- the nodes' files and environment ------------------------------------------------------------
    def _prepare(self) -> None:
        self.home.mkdir(parents=True)
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)
        (self.base / "enabled_plugins").write_text("[].\n")
        (self.base / "rabbitmq-env.conf").write_text("")  # not the shared node's /etc/rabbitmq one
        seed = self.nodes[0].name
        for node in self.nodes:
            (node.directory / "mnesia").mkdir(parents=True)
            (node.directory / "log").mkdir()
            (node.directory / "rabbitmq.conf").write_text("\n".join([
                f"listeners.tcp.local = 127.0.0.1:{node.amqp_port}",
                "cluster_formation.peer_discovery_backend = classic_config",
                f"cluster_formation.classic_config.nodes.1 = {seed}",
                # The first node is up before the others start: no reason to wait for it at random.
                "cluster_formation.randomized_startup_delay_range.min = 0",
                "cluster_formation.randomized_startup_delay_range.max = 0",
                "",
            ]))

    def _env(self, node: Node) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))},
            "HOME": str(self.home),
            "RABBITMQ_NODENAME": node.name,
            "RABBITMQ_NODE_PORT": str(node.amqp_port),
            "RABBITMQ_DIST_PORT": str(node.dist_port),
            "RABBITMQ_MNESIA_BASE": str(node.directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node.directory / "log"),
            "RABBITMQ_PID_FILE": str(node.pid_file),
            "RABBITMQ_CONFIG_FILE": str(node.directory / "rabbitmq.conf"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
        }

    # -- starting and stopping ------------------------------------------------------------------------
    def start_node(self, node: Node) -> None:
        """Start ``node`` in the background (a node that ran before rejoins the cluster from its data)."""
        subprocess.run([str(BIN / "rabbitmq-server"), "-detached"], env=self._env(node), check=True,
                       capture_output=True, timeout=60)

    def wait_answering(self, node: Node, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not _answers(node.amqp_port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"RabbitMQ node {node.name} did not open port {node.amqp_port} in "
                                   f"{timeout:.0f}s:\n{self.log_tail(node)}")
            time.sleep(0.2)

    def start(self) -> RabbitCluster:
        if not (BIN / "rabbitmq-server").exists():
            raise RuntimeError(f"no {BIN / 'rabbitmq-server'}: install the rabbitmq-server package "
                               "(scripts/ensure-infra.sh does)")
        self._prepare()
        first, *others = self.nodes
        self.start_node(first)
        self.wait_answering(first)
        for node in others:
            self.start_node(node)
        for node in others:
            self.wait_answering(node)
        return self

    def pid(self, node: Node) -> int | None:
        try:
            return int(node.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def kill(self, node: Node) -> None:
        """SIGKILL: the node dies as a machine that loses power would, with no goodbye to its clients."""
        pid = self.pid(node)
        if pid is None:
            raise RuntimeError(f"no pid for {node.name}")
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _answers(node.amqp_port) and time.monotonic() < deadline:
            time.sleep(0.05)
        node.pid_file.unlink(missing_ok=True)

    def stop(self) -> None:
        """Every node down, at once (SIGKILL: the data is thrown away with the directory)."""
        for node in self.nodes:
            pid = self.pid(node)
            if pid is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    # -- asking the cluster -----------------------------------------------------------------------------
    def ctl(self, node: Node, *args: str, timeout: float = 60.0) -> str:
        result = subprocess.run([str(BIN / "rabbitmqctl"), "-n", node.name, *args], env=self._env(node),
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)} on {node.name}: "
                               f"{result.stderr or result.stdout}")
        return result.stdout

    def queues(self, node: Node | None = None) -> dict[str, dict]:
        """Each queue of the default vhost: its type, leader and members, as the cluster reports them."""
        out = self.ctl(node or self.nodes[-1], "list_queues", "name", "type", "leader", "members",
                       "--formatter", "json", "--quiet")
        return {q["name"]: q for q in json.loads(out)}

    def log_tail(self, node: Node, lines: int = 30) -> str:
        logs = sorted((node.directory / "log").glob("*.log"))
        if not logs:
            return "(no log)"
        return "\n".join(logs[0].read_text(errors="replace").splitlines()[-lines:])
