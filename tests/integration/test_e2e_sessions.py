"""Ended sessions stay ended (issue 11 section 4), through the gateway, with every service as a process and a
broker user per service (so identity's events are believed only because identity's user sent them).

For logout, refresh-token reuse and disabling, the access token obtained before is refused (401
problem+json) by every service within a few seconds (identity's event must travel to each service's
worker), writes included, while another session of the same person keeps working and a fresh login works.
"""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime

import jwt
import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange, Producer

from recert_common.bus.deadletter import list_dead_letters
from recert_common.events import new_event

from e2e_fixtures import app_fixture, system_fixture
from frontend import PASSWORD, Frontend, Person, unique_email
from waiting import wait_for

SERVICES = ["identity", "portfolio", "pe-registry", "assessment", "notifications", "billing"]
# One read per service that any logged-in jobcoach may make.
READS = {
    "identity": "accounts/me",
    "portfolio": "portfolio/cycles",
    "pe-registry": "pe/activities",
    "assessment": "certificates/mine",
    "notifications": "messages",
    "billing": "invoices",
}
WITHIN_SECONDS = 5.0
REVOKED_DETAIL = "This session has ended. Please log in again."

system = system_fixture(SERVICES, extra_env={
    "RECERT_GATEWAY_AUTH_RATE_LIMIT": "off",
    "RECERT_IDENTITY_ACCESS_TOKEN_TTL_SECONDS": "3600",  # far longer than the test: expiry explains nothing
}, broker_users=True)
app = app_fixture()
elapsed: dict[str, float] = {}


@pytest.fixture(scope="module")
def admin(system, app) -> Person:
    email = unique_email("admin")
    result = subprocess.run(
        [sys.executable, "-m", "recert_identity", "create-admin", email, "Ada Beheer", "--password-stdin"],
        input=PASSWORD, env=system.env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return app.login(Person(email, PASSWORD))


def _statuses(app: Frontend, token: str) -> dict[str, int]:
    return {service: app.get(path, token=token).status_code for service, path in READS.items()}


def _write(app: Frontend, token: str):
    """A write on two services: recording a PE activity, and changing one's name."""
    activity = app.post("pe/activities", token=token, json={
        "title": "Webinar gespreksvoering", "provider": "Opleider B.V.", "category": 1,
        "completed_on": "2026-01-15", "amount": "2", "unit": "sbu"})
    profile = app.patch("accounts/me", token=token, json={"full_name": "Jan Jansen"})
    return activity, profile


def _accepted(status: int) -> bool:
    """Past the token check: an answer (a jobcoach without a certificate gets 404 for hers), not a 401."""
    return status != 401 and status < 500


def _accepted_everywhere(app: Frontend, token: str) -> None:
    statuses = _statuses(app, token)
    assert all(_accepted(status) for status in statuses.values()), statuses


def _refused_everywhere(app: Frontend, token: str, case: str) -> None:
    """Every service answers 401 problem+json within ``WITHIN_SECONDS``; records how long it took."""
    started = time.monotonic()
    while True:
        statuses = _statuses(app, token)
        if all(status == 401 for status in statuses.values()):
            break
        assert time.monotonic() - started < WITHIN_SECONDS, f"{case}: still accepted by {statuses}"
        time.sleep(0.05)
    elapsed[case] = time.monotonic() - started
    for service, path in READS.items():
        response = app.get(path, token=token, headers={"Accept-Language": "en"})
        assert response.status_code == 401, (service, response.text)
        assert response.headers["Content-Type"].startswith("application/problem+json"), service
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), service
        # Said by the revocation check of the service itself: the gateway only checks the signature.
        assert response.json()["detail"] == REVOKED_DETAIL, (service, response.json())
    activity, profile = _write(app, token)
    assert (activity.status_code, profile.status_code) == (401, 401), (activity.text, profile.text)
    # The gateway's own composed answer asks the services with the token, so it is refused as a whole.
    assert app.get("dashboard", token=token).status_code == 401


def _jobcoach(app: Frontend) -> Person:
    person = app.login(app.register())
    _accepted_everywhere(app, person.access_token)
    return person


def _login_with_recovery_code(app: Frontend, person: Person) -> Person:
    """Another session of ``person``, without waiting for a fresh TOTP step."""
    challenge = app.login_step1(person).json()
    verified = app.post("auth/login/verify", json={"challenge_id": challenge["challenge_id"],
                                                   "code": person.recovery_codes.pop()})
    assert verified.status_code == 200, verified.text
    tokens = verified.json()
    return Person(person.email, person.password, person.account, person.secret, tokens["access_token"],
                  tokens["refresh_token"], person.recovery_codes)


def test_after_logout_the_sessions_token_is_refused_by_every_service(app):
    person = _jobcoach(app)
    other = _login_with_recovery_code(app, person)
    token = person.access_token
    deadline = time.monotonic() + 30  # the PE registry must have heard of the account (its registration)
    while (written := _write(app, token))[0].status_code != 201:
        assert time.monotonic() < deadline, written[0].text
        time.sleep(0.2)
    assert written[1].status_code == 200, written[1].text

    assert app.post("auth/logout", json={"refresh_token": person.refresh_token}).status_code == 204
    _refused_everywhere(app, token, "logout")
    _accepted_everywhere(app, other.access_token)  # only that session ended
    fresh = _login_with_recovery_code(app, person)
    _accepted_everywhere(app, fresh.access_token)


def test_after_refresh_token_reuse_the_sessions_tokens_are_refused_by_every_service(app):
    person = _jobcoach(app)
    first_token, spent = person.access_token, person.refresh_token
    assert app.refresh(person).status_code == 200
    _accepted_everywhere(app, person.access_token)

    reused = app.post("auth/refresh", json={"refresh_token": spent})
    assert reused.status_code == 401 and reused.headers["Content-Type"].startswith("application/problem+json")
    _refused_everywhere(app, person.access_token, "refresh token reuse")
    _refused_everywhere(app, first_token, "refresh token reuse (first token)")
    fresh = _login_with_recovery_code(app, person)
    _accepted_everywhere(app, fresh.access_token)


def test_after_disabling_every_token_of_the_account_is_refused_by_every_service(app, admin):
    person = _jobcoach(app)
    other = _login_with_recovery_code(app, person)
    disabled = app.post(f"admin/accounts/{person.id}/disable", admin, json={"reason": "Op eigen verzoek"})
    assert disabled.status_code == 200, disabled.text

    _refused_everywhere(app, person.access_token, "disable")
    _refused_everywhere(app, other.access_token, "disable (other session)")
    assert app.login_step1(person).status_code == 401  # and no new login
    _accepted_everywhere(app, admin.access_token)  # the admin's own token is untouched


def test_after_a_password_change_the_other_sessions_tokens_are_refused_by_every_service(app):
    """``identity.account.sessions_ended``, the event a password reset sends too: every session but the one
    that made the change."""
    person = _jobcoach(app)
    other = _login_with_recovery_code(app, person)
    changed = app.post("accounts/me/password", person, json={"current_password": person.password,
                                                             "new_password": "een heel nieuw wachtwoord"})
    assert changed.status_code == 204, changed.text
    _refused_everywhere(app, other.access_token, "password change (other session)")
    _accepted_everywhere(app, person.access_token)  # the session that changed it stays


def _send_as(system, party: str, event, *, exchange, routing_key: str) -> None:
    with Connection(system.broker[party], transport_options={"confirm_publish": True}) as conn:
        Producer(conn.channel()).publish(
            event.to_json(), exchange=exchange, routing_key=routing_key, retry=False,
            content_type="application/json", content_encoding="utf-8", delivery_mode=2,
            user_id=Connection(system.broker[party]).userid)


def test_a_forged_session_end_from_another_service_logs_nobody_out(app, system):
    """Only identity's broker user may end a session: a forged event is refused by the broker on the
    exchange, and dead-lettered when put straight into a service's queue (ADR 0016), with no effect."""
    person = _jobcoach(app)
    claims = jwt.decode(person.access_token, options={"verify_signature": False})
    forged = new_event("identity.session.ended", {
        "account_id": person.id, "session_id": claims["sid"], "ended_at": datetime.now(UTC),
        "reason": "logout"}, producer="identity", subject=person.id)
    with pytest.raises(AccessRefused):
        _send_as(system, "portfolio", forged,
                 exchange=Exchange(system.exchange, type="topic", durable=True), routing_key=forged.type)
    queue = f"{system.env['RECERT_QUEUE_PREFIX']}pe-registry.revocations"
    _send_as(system, "portfolio", forged, exchange="", routing_key=queue)
    def dead_letter() -> str | None:
        letters = list_dead_letters(system.broker["pe-registry"], queue)
        return {d.event_id: d.error for d in letters}.get(str(forged.id))

    dead = wait_for(dead_letter, timeout=10, message="the forged event dead-lettered")
    assert "refused" in dead
    _accepted_everywhere(app, person.access_token)


def test_zz_report_how_long_the_events_took(app):
    """Not a check of its own: prints the times the other tests measured (quoted in ADR 0019)."""
    print("\nrefused by every service after (s): " + ", ".join(f"{k}: {v:.2f}" for k, v in elapsed.items()))
    assert all(seconds < WITHIN_SECONDS for seconds in elapsed.values())
