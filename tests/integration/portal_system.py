"""One whole system per test worker for the portal's role screens (assessor, DNV, the jobcoach's case).

Every service, the gateway serving the built portal and an SMTP mailbox start once per pytest worker, the
first time a module asks for them, and serve every portal module after it: a system costs about half a
minute to start and the suite has a 15-minute budget. The fixtures live in conftest.py (``portal_system``,
``portal_mailbox``, ``portal_app``, ``portal_office``) so that pytest holds one of each per session; a module
takes them as its ``system``, ``app`` and ``office`` with :func:`shared_fixtures`.

Modules sharing the system must not change what others see: each test makes its own jobcoach, and reads
lists filtered to its own cases. Nothing here moves a service's clock (``assessment_on`` restarts services:
the modules that need it keep a system of their own).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from portal_browser import missing_build_message
from smtp_mailbox import mailbox_fixture

from e2e_fixtures import running_system
from frontend import Frontend, outbox_tokens
from journeys import WEBHOOK_SECRET, Office
from processes import System

SERVICES = ["identity", "pe-registry", "portfolio", "assessment", "billing", "notifications"]


@contextmanager
def running_portal(infra, tmp_path_factory, services: list[str], mailbox,
                   extra_env: dict[str, str] | None = None) -> Iterator[System]:
    """``services`` and the gateway serving the built portal, their e-mail going to ``mailbox``: what every
    browser module with e-mail starts (this module's shared system, or a module's own smaller one)."""
    problem = missing_build_message()
    assert problem is None, problem
    with running_system(infra, tmp_path_factory, services, {
        "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
        "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(mailbox.port),
        "RECERT_NOTIFICATIONS_SEND_POLL_SECONDS": "0.3",
        **(extra_env or {}),
    }) as system:
        yield system


portal_mailbox = mailbox_fixture(scope="session", name="portal_mailbox")


@pytest.fixture(scope="session")
def portal_system(infra, tmp_path_factory, portal_mailbox) -> Iterator[System]:
    with running_portal(infra, tmp_path_factory, SERVICES, portal_mailbox, {
        "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET,
        # A composed screen (work list, overview, dashboard) says a part is missing when a service does not
        # answer within this time. Two test workers, Chromium and two whole systems share two cores here, so
        # a slow moment must not read as a missing part; a part of a stopped service still fails at once.
        "RECERT_GATEWAY_COMPOSE_TIMEOUT": "10",
    }) as system:
        yield system


@pytest.fixture(scope="session")
def portal_app(portal_system) -> Frontend:
    return Frontend(portal_system.gateway, mail=outbox_tokens(portal_system.database_url("identity")))


@pytest.fixture(scope="session")
def portal_office(portal_system, portal_app) -> Office:
    return Office(portal_system, portal_app)


def shared_fixtures():
    """A module's ``system``, ``app``, ``office`` and ``mailbox``: the worker's shared ones.

    Use as ``system, app, office, mailbox = shared_fixtures()`` at the module's top level."""

    @pytest.fixture(scope="module")
    def system(portal_system):
        return portal_system

    @pytest.fixture(scope="module")
    def app(portal_app):
        return portal_app

    @pytest.fixture(scope="module")
    def office(portal_office):
        return portal_office

    @pytest.fixture(scope="module")
    def mailbox(portal_mailbox):
        return portal_mailbox

    return system, app, office, mailbox
