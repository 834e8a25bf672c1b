"""Two transactions at the same moment, made to meet: one side's transaction is held open while the other runs
in a thread until it waits on a lock that side holds, or ends. A test then commits the first side and checks
that whatever both did still fits together, whichever order they came in."""
from __future__ import annotations

import threading
from collections.abc import Callable

from waiting import wait_for


def _waiting(db, locktypes: tuple[str, ...]) -> int:
    """How many transactions of ``db``'s database wait for a lock of ``locktypes`` another one holds. The
    waiter's session names the database: a wait on a transaction id is tied to none in pg_locks."""
    with db.transaction() as conn:
        return conn.execute("SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                            "WHERE l.locktype = ANY(%s) AND NOT l.granted AND a.datname = current_database()",
                            (list(locktypes),)).fetchone()["n"]


def waiting_for_advisory_locks(db) -> int:
    """Transactions of ``db``'s database waiting for an advisory lock another one holds."""
    return _waiting(db, ("advisory",))


def waiting_for_row_locks(db) -> int:
    """Transactions of ``db``'s database waiting for a row another one has written or locked."""
    return _waiting(db, ("transactionid", "tuple"))


class Beside:
    """``call`` running in a thread; what it raised is kept in ``failures`` for the test to assert on."""

    def __init__(self, call: Callable[[], object]):
        self.failures: list[BaseException] = []

        def run() -> None:
            try:
                call()
            except BaseException as exc:  # reported by the test's assertions
                self.failures.append(exc)

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def waits_on_a_lock_or_ends(self, db) -> None:
        """Until the thread waits for an advisory lock another transaction holds, or has finished."""
        wait_for(lambda: waiting_for_advisory_locks(db) > 0 or not self.thread.is_alive(), timeout=10,
                 message="the other transaction to wait or end")

    def finished(self) -> bool:
        """Whether the thread ended without raising (waiting up to 10 s for it)."""
        self.thread.join(timeout=10)
        return not self.thread.is_alive() and not self.failures
