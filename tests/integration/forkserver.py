"""Service processes forked from one that has imported the services already.

A service process spends most of its start importing (Flask, psycopg, kombu, minio, the service itself):
about 0.7 s of CPU each, and the suite starts some 20 processes per system and 40 systems on two cores.
A fork server is a Python process that imports every service once and then forks each process a test asks
for; the child sets its environment, log and arguments and runs the module as ``python -m`` would
(``runpy``), so what runs is the service's real command line.

The server reaps its children, so ``ForkedPopen`` offers what the tests use of ``subprocess.Popen``
(``pid``, ``poll``, ``wait``, ``send_signal``, ``kill``, ``returncode``) by asking it. One server per test
process, started on first use and ended when the test process ends. ``RECERT_TEST_FORK=0`` goes back to a
plain ``Popen`` per process.

Run as a script, this file is the server: one JSON request per line on stdin, one answer per line on stdout.
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

# What every child would import anyway, imported once here. Commands import some of it lazily.
PRELOAD = ("recert_identity.__main__", "recert_portfolio.__main__", "recert_pe_registry.__main__",
           "recert_assessment.__main__", "recert_notifications.__main__", "recert_billing.__main__",
           "recert_gateway.__main__", "recert_common.worker", "recert_common.worker_metrics",
           "recert_common.logging", "gunicorn.app.base", "gunicorn.arbiter", "gunicorn.workers.gthread")


def enabled() -> bool:
    return os.environ.get("RECERT_TEST_FORK", "1") != "0"


class ForkedPopen:
    """A child of the fork server, used as the tests use a ``subprocess.Popen``."""

    def __init__(self, server: ForkServer, pid: int, args: list[str]):
        self.server, self.pid, self.args = server, pid, args
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.server.request(op="poll", pid=self.pid)["code"]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(self.args, timeout)
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signal_number: int) -> None:
        if self.poll() is None:  # not reaped yet, so the pid is still this child's
            os.kill(self.pid, signal_number)

    def terminate(self) -> None:
        self.send_signal(15)

    def kill(self) -> None:
        self.send_signal(9)


class ForkServer:
    def __init__(self):
        env = {key: value for key, value in os.environ.items() if not key.startswith("RECERT_")}
        env["PYTHONUNBUFFERED"] = "1"  # the children's stdout and stderr are the server's, made here
        self._process = subprocess.Popen([sys.executable, __file__], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
        self._lock = threading.Lock()
        self.request(op="ready")

    def request(self, **message) -> dict:
        with self._lock:
            self._process.stdin.write(json.dumps(message) + "\n")
            self._process.stdin.flush()
            answer = self._process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the fork server stopped (exit code {self._process.poll()})")
        reply = json.loads(answer)
        if "error" in reply:
            raise RuntimeError(f"fork server: {reply['error']}")
        return reply

    def spawn(self, module: str, args: list[str], env: dict[str, str], log: Path) -> ForkedPopen:
        """``python -m module *args`` with ``env``, in a session of its own, its output added to ``log``."""
        # The log exists when this returns, as with ``Popen``: the child opens it only once it runs, and a
        # caller may read it before that.
        log.touch()
        pid = self.request(op="spawn", module=module, args=args, env=env, log=str(log),
                           cwd=os.getcwd())["pid"]
        return ForkedPopen(self, pid, [module, *args])

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            self._process.wait(10)


_server: ForkServer | None = None
_server_lock = threading.Lock()


def server() -> ForkServer:
    global _server
    with _server_lock:
        if _server is None:
            _server = ForkServer()
            atexit.register(_server.close)
        return _server


# -- the server --------------------------------------------------------------------------------------------

def _child(request: dict) -> None:
    """In the forked child: become ``python -m module`` and never return to the server's loop."""
    import random
    import runpy
    import signal

    os.setsid()
    # As a new interpreter has them (SIGPIPE stays ignored, as Python sets it: a write to a closed socket
    # is then an error the code handles, not the end of the process).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    log = os.open(request["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path[0] = request["cwd"]  # as ``python -m`` has it, instead of this file's directory
    random.seed()  # the server's state would be every child's
    sys.argv = [request["module"], *request["args"]]
    code = 0
    # Run afresh as ``__main__``: the copy imported here under its own name is left alone.
    sys.modules.pop(f"{request['module']}.__main__", None)
    try:
        runpy.run_module(request["module"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    # As the interpreter's own exit would: exit handlers, then the threads it waits for are gone with us.
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _serve() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    codes: dict[int, int] = {}
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["op"] == "spawn":
                sys.stdout.flush()
                pid = os.fork()
                if pid == 0:
                    _child(request)
                reply: dict = {"pid": pid}
            elif request["op"] == "poll":
                pid = request["pid"]
                if pid not in codes:
                    done, status = os.waitpid(pid, os.WNOHANG)
                    if done:
                        codes[pid] = os.waitstatus_to_exitcode(status)
                reply = {"code": codes.get(pid)}
            else:
                reply = {}
        except Exception as exc:  # the request failed, the server goes on
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
