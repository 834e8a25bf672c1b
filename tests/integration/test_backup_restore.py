"""A backup that restores (ADR 0034): a running system in the middle of several cases is backed up with
``python -m recert_common.backup``, restored elsewhere on this machine (new databases, new buckets, a new
exchange and new queue names) and started there; it holds the same data and works on.

The cases at backup time: a jobcoach with evidence and a service request with an attachment, one with a
submitted portfolio, one whose case is assigned to an assessor, one whose case has the assessor's advice.
That advice was given while notifications' worker was down, so its event sits in the old system's queue
when the backup is made: the broker is not backed up, and only the restore's republishing brings it to
notifications in the new system. One of the evidence files is gone from the store before the backup: the
manifest names it. A tap queue on the new exchange sees every event the new system
publishes: each once. After DNV's decision on the advised case, every consumer has handled every event it
subscribes to exactly once (its inbox), and every e-mail went out once.
"""
from __future__ import annotations

import copy
import hashlib
import io
import json
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest
from kombu import Connection, Exchange, Queue
from minio import Minio
from smtp_mailbox import mailbox_fixture

from recert_common import backup
from recert_common.db import Database
from recert_common.rules import add_years

from bus_fixtures import take_all
from e2e_fixtures import running_system
from frontend import Frontend, Person, outbox_tokens
from journeys import (
    PDF,
    TODAY,
    WEBHOOK_SECRET,
    Office,
    complete_portfolio,
    eventually,
    form,
    ok,
    record,
    upload,
)
from processes import System

SERVICES = ["identity", "pe-registry", "portfolio", "assessment", "billing", "notifications"]
VALID_UNTIL = TODAY + timedelta(days=60)
BUCKETS = {"RECERT_PE_REGISTRY_EVIDENCE_BUCKET": "evidence", "RECERT_PORTFOLIO_PROOF_BUCKET": "proof",
           "RECERT_NOTIFICATIONS_DESK_BUCKET": "desk"}
# What the restored system must share with the old one: data encrypted or signed with these.
SECRETS = ("RECERT_IDENTITY_SECRETS_KEY", "RECERT_ASSESSMENT_SECRETS_KEY", "RECERT_PORTFOLIO_CALENDAR_SECRET")

mailbox = mailbox_fixture()


def env_of(mailbox) -> dict[str, str]:
    return {"RECERT_GATEWAY_AUTH_RATE_LIMIT": "off", "RECERT_BILLING_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "RECERT_SMTP_HOST": "127.0.0.1", "RECERT_SMTP_PORT": str(mailbox.port),
            "RECERT_NOTIFICATIONS_SEND_POLL_SECONDS": "0.3"}


def buckets(tag: str) -> dict[str, str]:
    return {variable: f"b{tag}-{role}" for variable, role in BUCKETS.items()}


# -- what the test looks at, without the backup's own code ----------------------------------------------

def row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        tables = conn.execute("SELECT schemaname, tablename FROM pg_tables "
                              "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')").fetchall()
        return {f"{s}.{t}": conn.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]
                for s, t in tables}


def all_counts(system: System) -> dict[str, dict[str, int]]:
    return {name: row_counts(system.database_url(name)) for name in SERVICES}


def object_hashes(system: System) -> dict[str, dict[str, tuple[int, str]]]:
    """Per bucket role: key -> (size, SHA-256 of the bytes as the store returns them)."""
    env = system.env
    client = Minio(env["RECERT_S3_ENDPOINT"], env["RECERT_S3_ACCESS_KEY"], env["RECERT_S3_SECRET_KEY"],
                   secure=False)
    found = {}
    for variable, role in BUCKETS.items():
        bucket, found[role] = env[variable], {}
        if not client.bucket_exists(bucket):
            continue
        for item in client.list_objects(bucket, recursive=True):
            response = client.get_object(bucket, item.object_name)
            try:
                body = response.read()
            finally:
                response.close()
                response.release_conn()
            found[role][item.object_name] = (len(body), hashlib.sha256(body).hexdigest())
    return found


def query(system: System, service: str, sql: str, *args) -> list[tuple]:
    with psycopg.connect(system.database_url(service)) as conn:
        return conn.execute(sql, args).fetchall()


def unpublished(system: System, services=SERVICES) -> int:
    return sum(query(system, name, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
               for name in services)


def traffic(system: System) -> list[tuple]:
    """Per database: events written, events handled, events not yet published."""
    return [query(system, name, "SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM inbox), "
                  "(SELECT count(*) FROM outbox WHERE published_at IS NULL)")[0] for name in SERVICES]


def settle(system: System, services=SERVICES, quiet: float = 1.5) -> None:
    """Until every outbox of ``services`` is published and no event is written or handled for ``quiet``
    seconds (longer than the relays' poll)."""
    deadline = time.monotonic() + 60
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        counts = traffic(system)
        if counts != last or unpublished(system, services):
            last, since = counts, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.3)
    raise AssertionError(f"the system did not settle:\n{system.logs()}")


def backup_command(system: System, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recert_common.backup", *args], env=system.env,
                          capture_output=True, text=True, timeout=120)


def advice_event(system: System, case_id: str) -> str:
    rows = query(system, "assessment", "SELECT event_id FROM outbox WHERE event_type = "
                 "'assessment.advice.given' AND body -> 'data' ->> 'case_id' = %s", case_id)
    assert len(rows) == 1, rows
    return str(rows[0][0])


def notifications_inbox(system: System, event_id: str) -> list[str]:
    return [row[0] for row in query(system, "notifications", "SELECT consumer FROM inbox WHERE event_id = %s",
                                    uuid.UUID(event_id))]


# -- the cases at backup time ---------------------------------------------------------------------------

def certified(office: Office, name: str) -> tuple[Frontend, Office, Person]:
    """A jobcoach called ``name`` with a certificate, and the office on a connection of the story's own."""
    app = Frontend(office.app.base.removesuffix("/api/v1"), mail=office.app.mail)
    own = copy.copy(office)
    own.app = app
    person = app.login(app.register(full_name=name))
    own.certify(person, VALID_UNTIL)
    return app, own, person


def with_evidence_and_a_question(office: Office, name: str) -> tuple[Person, None]:
    """Evidence of one activity, and a question to the service desk with an attachment."""
    app, _, person = certified(office, name)
    ok(upload(app, person, record(app, person, 1, 12)["id"], PDF + b"ans"), 201)
    request = eventually(lambda: (r := app.post("desk/requests", person, json={
        "subject": "Mijn bewijs", "text": "Klopt dit bewijs?"})).status_code == 201 and r.json(),
        what="the contact at notifications")
    ok(app.post(f"desk/requests/{request['request']['id']}/attachments", person, data=PDF + b"desk",
                headers={"Content-Type": "application/pdf",
                         "Content-Disposition": 'attachment; filename="bewijs.pdf"'}), 201)
    return person, None


def submitted(office: Office, name: str) -> tuple[Frontend, Office, Person]:
    """A complete portfolio handed in: evidence and meeting proof in the store, a case, an invoice."""
    app, own, person = certified(office, name)
    complete_portfolio(app, person)
    ok(app.post("portfolio/cycles/current/submit", person), 201)
    return app, own, person


def only_submitted(office: Office, name: str) -> tuple[Person, None]:
    return submitted(office, name)[2], None


def assigned(office: Office, name: str) -> tuple[Person, dict]:
    """PE check passed, fee paid, an assessor assigned."""
    _, own, person = submitted(office, name)
    case = own.ready_for_assessor(person)
    ok(own.assign(case, own.assessors[0]))
    return person, case


STORIES = {"Ans Begin": with_evidence_and_a_question, "Bram Ingediend": only_submitted,
           "Carla Toegewezen": assigned, "Dirk Advies": assigned}


# -- the old system, in the middle of its cases, and its backup -----------------------------------------

@pytest.fixture(scope="module")
def backed_up(infra, tmp_path_factory, mailbox):
    """The old system's cases, its counts and objects at backup time, the backup, the old system stopped."""
    tag = uuid.uuid4().hex[:8]
    with running_system(infra, tmp_path_factory, SERVICES, {**env_of(mailbox), **buckets(tag)}) as old:
        begun = time.monotonic()
        app = Frontend(old.gateway, mail=outbox_tokens(old.database_url("identity")))
        office = Office(old, app)
        # The four stories run side by side, each with a connection of its own.
        with ThreadPoolExecutor(len(STORIES)) as pool:
            walked = dict(zip(STORIES, pool.map(lambda name: STORIES[name](office, name), STORIES),
                              strict=True))
        coaches = {name: person for name, (person, _) in walked.items()}
        cases = {name: case for name, (_, case) in walked.items() if case is not None}
        settle(old)
        # Notifications' worker goes down; then the assessor advises on Dirk's case. The event reaches the
        # broker and waits in notifications' queue, where no backup sees it.
        next(p for p in old.processes if p.name == "notifications-worker").stop()
        ok(office.advise(cases["Dirk Advies"], office.assessors[0], form("positive")), 201)
        others = [name for name in SERVICES if name != "notifications"]
        settle(old, others)
        advice = advice_event(old, cases["Dirk Advies"]["id"])
        assert notifications_inbox(old, advice) == []
        advised_state = office.case(cases["Dirk Advies"]["id"])["state"]
        populated = time.monotonic() - begun
        # One of Ans's files is gone from the store (lost, or deleted after a snapshot): the backup says so.
        lost = query(old, "pe-registry", "SELECT object_key FROM evidence WHERE account_id = %s",
                     uuid.UUID(coaches["Ans Begin"].id))[0][0]
        Minio(old.env["RECERT_S3_ENDPOINT"], old.env["RECERT_S3_ACCESS_KEY"], old.env["RECERT_S3_SECRET_KEY"],
              secure=False).remove_object(old.env["RECERT_PE_REGISTRY_EVIDENCE_BUCKET"], lost)

        counts, objects = all_counts(old), object_hashes(old)
        directory = tmp_path_factory.mktemp("backup") / "recert"
        begun = time.monotonic()
        made = backup_command(old, "backup", str(directory))
        took = time.monotonic() - begun
        assert made.returncode == 0, made.stderr
        assert all_counts(old) == counts, "the old system changed during the backup"
        for process in old.processes:  # gone, as after a disaster; a graceful stop only takes longer
            process.kill()
        mails = {address: [m["Subject"] for m in mailbox.to(address)]
                 for address in [p.email for p in (*coaches.values(), office.dnv, *office.assessors)]}
        print(f"backup-restore: populated in {populated:.1f}s, backed up in {took:.1f}s")
        yield {"system": old, "app": app, "office": office, "coaches": coaches, "cases": cases,
               "advice": advice, "advised_state": advised_state, "counts": counts, "objects": objects,
               "directory": directory, "mails": mails, "output": made.stderr, "lost": lost}


def test_the_backup_holds_every_database_and_object(backed_up, tmp_path):
    directory = backed_up["directory"]
    manifest = json.loads((directory / "manifest.json").read_text())
    assert set(manifest["databases"]) == set(SERVICES)
    for name, entry in manifest["databases"].items():
        assert entry["tables"] == backed_up["counts"][name], name
        assert (directory / entry["file"]).stat().st_size == entry["bytes"]
    # The snapshots of the six databases are taken back to back, not one per dump.
    assert manifest["snapshot_spread_ms"] < 1000
    in_manifest = {role: {} for role in BUCKETS.values()}
    for entry in manifest["objects"]:
        in_manifest[entry["bucket"]][entry["key"]] = (entry["size"], entry["sha256"])
        assert entry["stored_sha256"] == entry["sha256"]
    assert in_manifest == backed_up["objects"]
    assert all(backed_up["objects"][role] for role in BUCKETS.values())  # every bucket had files
    # Dirk's advice was unpublished nowhere: published by assessment, unhandled by notifications.
    assert manifest["databases"]["assessment"]["outbox"]["unpublished"] == 0
    assert manifest["missing_objects"] == [{"service": "pe-registry", "bucket": "evidence",
                                            "key": backed_up["lost"]}]

    assert backup_command(backed_up["system"], "verify", str(directory)).returncode == 0
    damaged = tmp_path / "damaged"
    shutil.copytree(directory, damaged)
    victim = next((damaged / "objects").iterdir())
    victim.write_bytes(victim.read_bytes() + b"!")
    assert backup.verify_files(damaged, manifest) == [f"objects/{victim.name} does not match its name"]


# -- the restored system --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def restored(backed_up, infra, tmp_path_factory, mailbox):
    """The backup restored into a new system, which then starts; what the restore left is recorded."""
    old = backed_up["system"]
    extra = {**env_of(mailbox), **buckets(uuid.uuid4().hex[:8]), **{k: old.env[k] for k in SECRETS}}
    new = System(infra, SERVICES, tmp_path_factory.mktemp("restored-logs"), extra_env=extra)
    seen: dict = {}

    def restore_into(system: System) -> None:
        # A tap on the new exchange, bound before anything can be published there.
        tap = f"{system.env['RECERT_QUEUE_PREFIX']}backup-tap"
        infra.queues.add(tap)
        with Connection(infra.amqp_url) as conn:
            Queue(tap, Exchange(system.exchange, type="topic", durable=True), routing_key="#",
                  queue_arguments={"x-expires": 600_000})(conn.channel()).declare()
        begun = time.monotonic()
        result = backup_command(system, "restore", str(backed_up["directory"]))
        assert result.returncode == 0, result.stderr
        seen.update(tap=tap, took=time.monotonic() - begun, output=result.stderr, counts=all_counts(system),
                    objects=object_hashes(system), restored_at=time.time(),
                    advice_published=query(system, "assessment", "SELECT published_at FROM outbox "
                                           "WHERE event_id = %s", uuid.UUID(backed_up["advice"]))[0][0],
                    advice_handled=notifications_inbox(system, backed_up["advice"]),
                    republished={str(row[0]) for name in SERVICES for row in query(
                        system, name, "SELECT event_id FROM outbox WHERE published_at IS NULL")})

    begun = time.monotonic()
    try:
        new.start(before_migrate=restore_into)
        seen["started"] = time.monotonic() - begun
        yield new, seen
    except Exception:
        print(new.logs())
        raise
    finally:
        new.stop()


def test_the_restored_system_holds_the_same_data(backed_up, restored):
    new, seen = restored
    print(f"backup-restore: restored in {seen['took']:.1f}s, restored and started in {seen['started']:.1f}s")
    assert seen["counts"] == backed_up["counts"]
    assert seen["objects"] == backed_up["objects"]
    old = backed_up["system"]
    for name in SERVICES:  # elsewhere: other databases and buckets than the old system's
        assert new.database_url(name) != old.database_url(name)
    assert all(new.env[variable] != old.env[variable] for variable in BUCKETS)


def subscriptions(system: System) -> dict[str, set[str]]:
    """Each consumer's queue name -> the event types it handles, from the services' own specs."""
    found = {}
    for name in SERVICES:
        spec = backup.spec_of(name)
        settings = spec.settings_cls.from_env(name, system.env)
        database = Database(settings.database_url)  # never opened: the handlers are only listed
        for subscription in spec.all_subscriptions(settings, database):
            found[(name, settings.queue(subscription.purpose))] = set(subscription.handlers)
    return found


def test_the_restored_system_works_on_and_no_event_is_lost_or_doubled(backed_up, restored, infra, mailbox):
    new, seen = restored
    advice = backed_up["advice"]
    # At restore time: the advice was published in the old system, so only the republishing brings it here.
    assert seen["advice_published"] is None and seen["advice_handled"] == []
    assert advice in seen["republished"]

    app = Frontend(new.gateway, mail=outbox_tokens(new.database_url("identity")))
    office = copy.copy(backed_up["office"])
    office.app, office.system = app, new
    dirk = backed_up["coaches"]["Dirk Advies"]
    dnv = office.dnv.email
    # Notifications hears of the advice now, once; DNV gets the e-mail about it.
    eventually(lambda: notifications_inbox(new, advice), what="the advice handled by notifications")
    eventually(lambda: any(s.startswith("Advies over Dirk Advies") for s in
                           [m["Subject"] for m in mailbox.to(dnv)]), what="DNV told of the advice")

    # The people and their sessions came along: DNV decides on Dirk's case in the new system.
    case = backed_up["cases"]["Dirk Advies"]
    assert office.case(case["id"])["state"] == backed_up["advised_state"]
    office.decide(case, "positive")
    renewed = add_years(VALID_UNTIL, 4)
    eventually(lambda: ok(app.get("certificates/mine", dirk))["valid_until"] == renewed.isoformat(),
               what="the renewed certificate")
    eventually(lambda: ok(app.get("portfolio/cycles/current", dirk))["state"] == "open"
               and ok(app.get("portfolio/cycles/current", dirk))["id"], what="Dirk's next cycle")
    eventually(lambda: any(m["Subject"].startswith("Besluit DNV: je certificaat wordt verlengd")
                           for m in mailbox.to(dirk.email)), what="Dirk told of the decision")
    settle(new)

    # Published once each: what the tap saw is exactly what the new relays marked published.
    tapped = take_all(infra.amqp_url, seen["tap"])
    doubled = [event for event, n in Counter(tapped).items() if n > 1]
    assert doubled == []
    published_here = {str(row[0]) for name in SERVICES for row in query(
        new, name, "SELECT event_id FROM outbox WHERE published_at >= to_timestamp(%s)", seen["restored_at"])}
    assert set(tapped) == published_here
    assert seen["republished"] <= published_here
    assert unpublished(new) == 0

    # Handled once each, and none lost: every consumer's inbox holds every event of its types in any outbox
    # (outside events are in no outbox); old and new queue names would both show up if renaming failed.
    events = {}
    for name in SERVICES:
        for event_id, event_type in query(new, name, "SELECT event_id, event_type FROM outbox"):
            events[str(event_id)] = event_type
    prefix = new.env["RECERT_QUEUE_PREFIX"]
    for (service, consumer), types in subscriptions(new).items():
        inbox = {str(row[0]) for row in query(new, service, "SELECT event_id FROM inbox WHERE consumer = %s",
                                              consumer)}
        expected = {event for event, event_type in events.items() if event_type in types}
        assert expected - inbox == set(), (consumer, len(expected - inbox))
    for service in SERVICES:
        strangers = query(new, service, "SELECT DISTINCT consumer FROM inbox WHERE left(consumer, %s) <> %s",
                          len(prefix), prefix)
        assert strangers == [], (service, strangers)

    # Every e-mail once: the ones sent before the backup were not sent again.
    for address, before in backed_up["mails"].items():
        subjects = [m["Subject"] for m in mailbox.to(address)]
        assert subjects[:len(before)] == before
        assert [s for s, n in Counter(subjects).items() if n > 1] == [], (address, subjects)
    assert sum(s.startswith("Advies over Dirk Advies") for s in [m["Subject"] for m in mailbox.to(dnv)]) == 1
    decided = [m["Subject"] for m in mailbox.to(dirk.email)]
    assert sum(s.startswith("Besluit DNV: je certificaat wordt verlengd") for s in decided) == 1


def test_a_restore_refuses_a_target_that_is_not_empty(backed_up, restored):
    new, _ = restored
    before = row_counts(new.database_url("pe-registry"))
    with pytest.raises(backup.RestoreRefused) as refused:
        backup.restore(backed_up["directory"], {name: backup.service(name, new.env) for name in SERVICES})
    assert f"database {new.database_url('pe-registry').rsplit('/', 1)[1]} (pe-registry) has tables" \
        in str(refused.value)
    assert f"bucket {new.env['RECERT_PE_REGISTRY_EVIDENCE_BUCKET']} (pe-registry evidence) has objects" \
        in str(refused.value)
    assert row_counts(new.database_url("pe-registry")) == before


def test_a_restore_with_replace_overwrites_what_is_there(backed_up):
    """``--replace``, over the stopped old system itself once it holds more (a stray table, a stray file):
    afterwards it holds the backup and nothing else."""
    old = backed_up["system"]
    target = {name: backup.service(name, old.env) for name in SERVICES}
    with psycopg.connect(target["billing"].database_url) as conn:
        conn.execute("CREATE TABLE stray (n integer)")
    stray = target["portfolio"].store("proof")
    stray.put_verbatim("stray.txt", io.BytesIO(b"stray\n"), 6, content_type="text/plain", filename=None,
                       sha256=hashlib.sha256(b"stray\n").hexdigest())
    with pytest.raises(backup.RestoreRefused):
        backup.restore(backed_up["directory"], target, log=lambda line: None)

    backup.restore(backed_up["directory"], target, replace=True, log=lambda line: None)
    assert all_counts(old) == backed_up["counts"]
    assert not stray.exists("stray.txt")
    assert object_hashes(old) == backed_up["objects"]
