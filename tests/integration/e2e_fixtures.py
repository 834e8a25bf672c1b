"""The module-scoped fixtures the end-to-end tests share: the services of a module run as real processes
(with their logs printed when they do not come up), the frontend in front of the gateway, and DNV's office.

A module that only needs its services writes ``system = system_fixture([...], extra_env={...})``; one whose
system depends on other fixtures (an SMTP server, a seeded folder) runs ``running_system`` in its own.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from frontend import Frontend, outbox_tokens
from journeys import Office
from processes import System


@contextmanager
def running_system(infra, tmp_path_factory, services: list[str], extra_env: dict[str, str] | None = None,
                   **options) -> Iterator[System]:
    """``services`` and the gateway started; stopped at the end. Anything raised while they start or while
    the module sets them up further prints the services' logs first."""
    system = System(infra, services, tmp_path_factory.mktemp("logs"), extra_env=dict(extra_env or {}),
                    **options)
    try:
        yield system.start()
    except Exception:
        print(system.logs())
        raise
    finally:
        system.stop()


def system_fixture(services: list[str], extra_env: dict[str, str] | None = None, **options):
    """A module-scoped ``system`` fixture of ``services`` (``options`` as ``System`` takes them)."""

    @pytest.fixture(scope="module")
    def system(infra, tmp_path_factory):
        with running_system(infra, tmp_path_factory, services, extra_env, **options) as running:
            yield running

    return system


def app_fixture():
    """A module-scoped ``app`` fixture: the frontend in front of the module's ``system``."""

    @pytest.fixture(scope="module")
    def app(system) -> Frontend:
        return Frontend(system.gateway, mail=outbox_tokens(system.database_url("identity")))

    return app


def office_fixture():
    """A module-scoped ``office`` fixture: DNV's and Noloc's staff working on the module's ``system``."""

    @pytest.fixture(scope="module")
    def office(system, app) -> Office:
        return Office(system, app)

    return office
