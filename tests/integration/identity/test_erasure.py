"""Closing and erasing an account (the AVG, ADR 0020): the holder closes it with their password; it can no
longer log in at once; RECERT_IDENTITY_ERASE_AFTER_DAYS later the worker's schedule erases it and publishes
identity.account.erased through the outbox, in the same transaction."""
from __future__ import annotations

import json
from datetime import timedelta

from identity_support import PASSWORD, outbox

from recert_common.clock import utcnow
from recert_common.events import load_event
from recert_identity.worker import schedules


def test_a_closed_account_is_erased_after_the_grace_period_with_an_event(client, db):
    person = client.enrolled()
    token = person.tokens["access_token"]
    other = client.enrolled()

    wrong = client.post("/v1/accounts/me/close", token=token, json={"password": "niet-mijn-wachtwoord"})
    assert wrong.status_code == 422 and "password" in wrong.get_json()["errors"]
    assert db.execute("SELECT closed_at FROM accounts WHERE id = %s", (person.id,)).fetchone()["closed_at"] \
        is None
    assert client.post("/v1/accounts/me/close", json={"password": PASSWORD}).status_code == 401

    assert client.post("/v1/accounts/me/close", token=token, json={"password": PASSWORD}).status_code == 204
    assert outbox(db, person.id)[-1]["type"] == "identity.account.disabled"
    assert client.get("/v1/accounts/me", token=token).status_code == 401
    assert client.post("/v1/auth/refresh", json={"refresh_token": person.tokens["refresh_token"]}
                       ).status_code == 401
    assert client.login(person.email).get_json().get("challenge_id") is None

    grace = timedelta(days=client.service.settings.erase_after_days)
    assert grace == timedelta(days=30)  # the documented default
    assert client.service.erase_closed_accounts(utcnow() + grace - timedelta(hours=1)) == 0
    assert db.execute("SELECT count(*) AS n FROM accounts WHERE id = %s", (person.id,)).fetchone()["n"] == 1

    # The relay has sent the events about the person so far (no relay runs in this module).
    db.execute("UPDATE outbox SET published_at = now() WHERE body ->> 'subject' = %s", (person.id,))
    assert client.service.erase_closed_accounts(utcnow() + grace + timedelta(hours=1)) == 1
    assert db.execute("SELECT count(*) AS n FROM accounts WHERE id = %s", (person.id,)).fetchone()["n"] == 0
    assert db.execute("SELECT count(*) AS n FROM refresh_families WHERE account_id = %s",
                      (person.id,)).fetchone()["n"] == 0
    # Only the erasure is left of the person in the outbox (the sent profile events went with them).
    bodies = outbox(db, person.id)
    assert bodies[-1]["type"] == "identity.account.erased"
    assert all(b["type"] != "identity.account.registered" for b in bodies)
    event = load_event(json.dumps(bodies[-1]))
    assert event.producer == "identity" and str(event.data["account_id"]) == person.id
    # Someone else is untouched.
    assert client.get("/v1/accounts/me", token=other.tokens["access_token"]).status_code == 200


def test_the_worker_schedules_the_erasure(make_client, db):
    client = make_client(erase_after_days=0)
    person = client.enrolled()
    assert client.post("/v1/accounts/me/close", token=person.tokens["access_token"],
                       json={"password": PASSWORD}).status_code == 204
    [job] = [s for s in schedules(client.service.settings, client.service.db)
             if s.name == "identity.erase-closed"]
    job.job(client.service.db)
    assert db.execute("SELECT count(*) AS n FROM accounts WHERE id = %s", (person.id,)).fetchone()["n"] == 0


def test_only_a_jobcoach_closes_their_account(client):
    staff = client.enrolled_staff(roles=("assessor",))
    response = client.post("/v1/accounts/me/close", token=staff.tokens["access_token"],
                           json={"password": PASSWORD})
    assert response.status_code == 403
