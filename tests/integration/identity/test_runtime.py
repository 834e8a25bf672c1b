"""The processes around the API: readiness, the worker relaying identity's events to the real broker, the
OpenAPI document, and the commands create-admin, seed-demo and rotate-keys."""
from __future__ import annotations

import importlib.util
import io
import json
import time
from pathlib import Path

from identity_support import PASSWORD, code, secret_of, unique_email
from kombu import Connection, Queue

from recert_common.bus import events_exchange
from recert_common.worker import Worker
from recert_identity import commands, handlers, worker


def test_ready_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "broker": "ok"}


def test_the_worker_publishes_identity_events_to_the_broker(client, make_settings, infra):
    settings = make_settings(relay_poll_seconds=0.5)
    queue_name = f"{infra.queue_prefix}identity-test.registered"
    infra.queues.add(queue_name)
    with Connection(infra.amqp_url) as connection:
        queue = Queue(queue_name, events_exchange(infra.exchange), routing_key="identity.account.registered",
                      durable=False, auto_delete=False)
        queue(connection.channel()).declare()
        running = Worker(settings, client.service.db, handlers.subscriptions(settings, client.service.db),
                         worker.schedules(settings, client.service.db)).start()
        try:
            account = client.register()
            deadline, seen = time.monotonic() + 20, []
            with connection.SimpleQueue(queue) as simple:
                while time.monotonic() < deadline and account["id"] not in seen:
                    try:
                        message = simple.get(timeout=1)
                    except simple.Empty:
                        continue
                    message.ack()
                    seen.append(json.loads(message.body)["subject"])
        finally:
            running.stop()
    assert account["id"] in seen


def test_the_openapi_document_lists_the_api(client):
    paths = client.get("/v1/openapi.json").get_json()["paths"]
    assert {"/v1/accounts", "/v1/accounts/me", "/v1/accounts/me/password", "/v1/auth/login",
            "/v1/auth/login/verify", "/v1/auth/refresh", "/v1/auth/logout", "/v1/admin/accounts",
            "/v1/admin/accounts/{account_id}", "/v1/admin/accounts/{account_id}/disable",
            "/v1/admin/accounts/{account_id}/totp-reset", "/v1/.well-known/jwks.json"} <= set(paths)


def run(command, settings, argv, service, capsys) -> tuple[int, dict | None]:
    status = command(settings, argv, service=service)
    out = capsys.readouterr().out
    return status, json.loads(out) if out.strip() else None


def test_seed_demo_is_idempotent_and_its_jobcoach_can_log_in(client, make_settings, capsys):
    settings = make_settings()
    status, first = run(commands.seed_demo, settings, [], client.service, capsys)
    assert status == 0
    status, second = run(commands.seed_demo, settings, [], client.service, capsys)
    assert status == 0

    assert [a["role"] for a in first["accounts"]] == ["jobcoach", "assessor", "dnv_officer", "noloc_admin"]
    assert all(a["created"] for a in first["accounts"]) and not any(a["created"] for a in second["accounts"])
    assert [a["account_id"] for a in first["accounts"]] == [a["account_id"] for a in second["accounts"]]
    totp = second["jobcoach_totp"]
    assert totp["secret"] == first["jobcoach_totp"]["secret"] == secret_of(totp["otpauth_uri"])
    assert len(first["jobcoach_totp"]["recovery_codes"]) == 10

    jobcoach = first["accounts"][0]
    challenge = client.challenge(jobcoach["email"], jobcoach["password"])
    assert challenge["kind"] == "totp"
    assert client.verify(challenge["challenge_id"], code(totp["secret"])).status_code == 200
    assert client.challenge(first["accounts"][3]["email"], jobcoach["password"])["kind"] == "enrol"


def _dev_banner():
    path = Path(__file__).resolve().parents[3] / "scripts" / "dev_banner.py"
    spec = importlib.util.spec_from_file_location("dev_banner", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_dev_says_how_to_log_in_as_every_demo_account_staff_included(client, make_settings, capsys,
                                                                          tmp_path):
    """Staff link their app at their first login; once they have, seed-demo prints their secret too, and
    the banner of `make dev` shows each account's secret or that its first login links an app."""
    settings = make_settings()
    _, first = run(commands.seed_demo, settings, [], client.service, capsys)
    assert [a["totp"]["enrolled"] for a in first["accounts"]] == [True, False, False, False]
    text = _dev_banner().banner(first, "http://127.0.0.1:8000", tmp_path)
    jobcoach, assessor, dnv, admin = first["accounts"]
    assert f"TOTP secret: {first['jobcoach_totp']['secret']}" in text
    assert text.count("the first login links one") == 3
    for account in first["accounts"]:
        assert account["email"] in text and f"password: {account['password']}" in text
    assert str(tmp_path / "demo-staff.json") in text and str(tmp_path / "secrets.json") in text

    # The assessor logs in for the first time and links an app.
    challenge = client.challenge(assessor["email"], assessor["password"])
    assert challenge["kind"] == "enrol"
    secret = secret_of(challenge["otpauth_uri"])
    assert client.verify(challenge["challenge_id"], code(secret)).status_code == 200
    _, second = run(commands.seed_demo, settings, [], client.service, capsys)
    linked = second["accounts"][1]["totp"]
    assert linked["enrolled"] and linked["secret"] == secret
    text = _dev_banner().banner(second, "http://127.0.0.1:8000", tmp_path)
    assert f"TOTP secret: {linked['secret']}" in text and text.count("the first login links one") == 2


def test_create_admin_reads_the_password_from_stdin(client, make_settings, capsys, monkeypatch):
    settings = make_settings()
    email = unique_email("admin")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    status, created = run(commands.create_admin, settings, [email, "Eerste Beheerder", "--password-stdin"],
                          client.service, capsys)
    assert status == 0 and created["roles"] == ["noloc_admin"]
    assert client.challenge(email)["kind"] == "enrol"

    monkeypatch.setattr("sys.stdin", io.StringIO("too short\n"))
    status, _ = run(commands.create_admin, settings, [unique_email(), "X", "--password-stdin"],
                    client.service, capsys)
    assert status == 1


def test_rotate_keys_prints_the_new_key(client, make_settings, capsys):
    status, rotated = run(commands.rotate_keys, make_settings(), ["--", "--immediately"], client.service,
                          capsys)
    assert status == 0
    kids = {key["kid"] for key in client.get("/v1/.well-known/jwks.json").get_json()["keys"]}
    assert rotated["kid"] in kids
