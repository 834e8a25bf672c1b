"""What the PE registry's integration tests share: a running service (app, worker in-thread, its own
database and bucket), tokens for any role, raw events on the run's exchange, and counts of what is stored.
The plumbing (tokens, publishing, waiting) is service_harness's."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import boto3
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from recert_common.clock import platform_today, utcnow
from recert_common.events import get as get_event_type
from recert_common.events import new_event

from generated_files import BytesSource, GeneratedFile  # noqa: F401  (tests import it from here)
from service_harness import mint_token, publish_raw, select_bodies, wait_for

MiB = 1024 * 1024
PDF_HEAD = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
ELF_HEAD = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00"


today = platform_today  # the tests' "today": the platform's day, as the service counts it


def pdf_bytes(text: str = "certificaat") -> bytes:
    return PDF_HEAD + text.encode() + b"\n%%EOF\n"


@dataclass
class Person:
    account_id: uuid.UUID
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class PeEnv:
    """One running PE registry for a test module."""

    app: Any
    service: Any
    settings: Any
    infra: Any
    private_jwk: dict
    http: Any = field(init=False)

    def __post_init__(self):
        self.http = self.app.test_client()
        self._s3 = boto3.client(
            "s3", endpoint_url=f"http://{self.settings.s3_endpoint}", region_name=self.settings.s3_region,
            aws_access_key_id=self.settings.s3_access_key, aws_secret_access_key=self.settings.s3_secret_key)

    # --- people ----------------------------------------------------------------------------------------

    def person(self, *roles: str) -> Person:
        account_id = uuid.uuid4()
        return Person(account_id, mint_token(self.settings, self.private_jwk, account_id, roles,
                                             ttl=timedelta(hours=1)))

    def jobcoach(self, *, period_start: date | None = None, valid_until: date | None = None) -> Person:
        """A jobcoach whose certificate (and so PE period) is known, from ``period_start``."""
        coach = self.person("jobcoach")
        start = period_start or today() - timedelta(days=400)
        self.publish_and_wait("certification.certificate.registered", {
            "certificate_id": uuid.uuid4(), "certificate_number": f"RJ-{uuid.uuid4().hex[:8]}",
            "account_id": coach.account_id, "valid_from": start,
            "valid_until": valid_until or start + timedelta(days=4 * 365)}, subject=coach.account_id)
        return coach

    # --- HTTP ------------------------------------------------------------------------------------------

    def call(self, method: str, path: str, who: Person | None = None, **kwargs):
        headers = {**(who.auth if who else {}), **kwargs.pop("headers", {})}
        return self.http.open(path, method=method, headers=headers, **kwargs)

    def record(self, who: Person, *, evidence: bool = False, **overrides) -> dict:
        """Record an activity; with ``evidence`` also upload a PDF as its proof, so that its points count."""
        body = activity_body(**overrides)
        response = self.call("POST", "/v1/pe/activities", who, json=body)
        assert response.status_code == 201, response.get_json()
        activity = response.get_json()
        if evidence:
            uploaded = self.upload(who, activity["id"], pdf_bytes(f"bewijs {activity['id']}"))
            assert uploaded.status_code == 201, uploaded.get_json()
        return activity

    def upload(self, who: Person | None, activity_id, data: bytes | GeneratedFile, *,
               filename: str | None = "bewijs.pdf", chunked: bool = False, headers: dict | None = None,
               query: str = ""):
        headers = dict(headers or {})
        if filename is not None:
            headers.setdefault("Content-Disposition", f'attachment; filename="{filename}"')
        stream = data if isinstance(data, GeneratedFile) else BytesSource(data)
        headers.setdefault("Content-Type", "application/octet-stream")
        if who is not None:
            headers.update(who.auth)
        # Built by hand: werkzeug's test builder would seek the stream to measure it, and a stream that
        # can be measured could also be read whole without the test noticing.
        environ = EnvironBuilder(path=f"/v1/pe/activities/{activity_id}/evidence", method="POST",
                                 query_string=query.lstrip("?"), headers=headers).get_environ()
        environ["wsgi.input"] = stream
        if chunked:
            # As a server that handles chunked transfer says it: the stream ends where the body ends.
            environ.pop("CONTENT_LENGTH", None)
            environ["wsgi.input_terminated"] = True
        else:
            environ["CONTENT_LENGTH"] = str(stream.size)
        return self.http.open(Request(environ))

    # --- events ----------------------------------------------------------------------------------------

    def publish(self, type_: str, data: dict, subject=None, event=None) -> uuid.UUID:
        # As the catalogue's producer of the type: consumers refuse an envelope naming another.
        event = event or new_event(type_, data, producer=get_event_type(type_).producer, subject=subject)
        publish_raw(self.infra.amqp_url, self.settings.exchange, event.to_json(), event.type)
        return event.id

    def handled(self, event_id: uuid.UUID) -> bool:
        return self.scalar("SELECT count(*) FROM inbox WHERE event_id = %s", (event_id,)) == 1

    def publish_and_wait(self, type_: str, data: dict, subject=None, event=None) -> uuid.UUID:
        event_id = self.publish(type_, data, subject=subject, event=event)
        wait_for(lambda: self.handled(event_id), timeout=20, message=f"{type_} handled")
        return event_id

    # --- a case of assessment, as the other services announce it ---------------------------------------

    def submitted(self, coach: Person, activity_ids, *, submission_id: uuid.UUID | None = None,
                  portfolio_id: uuid.UUID | None = None) -> uuid.UUID:
        """portfolio.submitted with ``activity_ids`` as the snapshot's PE, handled; returns the submission
        id."""
        submission_id = submission_id or uuid.uuid4()
        self.publish_and_wait("portfolio.submitted", {
            "portfolio_id": portfolio_id or uuid.uuid4(), "cycle_id": uuid.uuid4(),
            "submission_id": submission_id, "account_id": coach.account_id, "certificate_id": uuid.uuid4(),
            "certificate_expires_on": today() + timedelta(days=60), "submitted_at": utcnow(),
            "snapshot_hash": "a" * 64, "pe_activity_ids": [uuid.UUID(str(i)) for i in activity_ids],
            "pe_points_counted": "3", "reflection_meetings": 2, "is_new_portfolio_after_negative": False},
            subject=coach.account_id)
        return submission_id

    def supplement_submitted(self, coach: Person, case_id: uuid.UUID, parts: list[str],
                             activity_ids: list | None) -> uuid.UUID:
        """portfolio.supplement.submitted for ``case_id``, with ``activity_ids`` as its PE when part B is
        among ``parts`` (None: no PE, as portfolio sends it otherwise), handled; returns the supplement's
        own submission id."""
        supplement_submission_id = uuid.uuid4()
        pe_part = {} if activity_ids is None else {"pe_activity_ids": activity_ids, "pe_points_counted": "6"}
        self.publish_and_wait("portfolio.supplement.submitted", {
            "supplement_id": uuid.uuid4(), "case_id": case_id, "portfolio_id": uuid.uuid4(),
            "submission_id": uuid.uuid4(), "supplement_submission_id": supplement_submission_id,
            "account_id": coach.account_id, "parts": parts, "submitted_at": utcnow(),
            "snapshot_hash": "d" * 64, **pe_part}, subject=coach.account_id)
        return supplement_submission_id

    def submit_and_assign(self, coach: Person, assessor: Person, activity_ids, *,
                          case_id: uuid.UUID | None = None) -> uuid.UUID:
        """The jobcoach submits a portfolio with ``activity_ids`` as its snapshot, DNV opens a case for it
        and assigns ``assessor``: the events portfolio and assessment publish. Returns the case id."""
        case_id, portfolio_id = case_id or uuid.uuid4(), uuid.uuid4()
        submission_id = self.submitted(coach, activity_ids, portfolio_id=portfolio_id)
        self.publish_and_wait("assessment.case.opened", {
            "case_id": case_id, "account_id": coach.account_id, "portfolio_id": portfolio_id,
            "submission_id": submission_id, "due_on": today() + timedelta(days=56)}, subject=coach.account_id)
        self.assign(coach, assessor, case_id)
        return case_id

    def assign(self, coach: Person, assessor: Person, case_id: uuid.UUID, previous: Person | None = None):
        self.publish_and_wait("assessment.assessor.assigned", {
            "case_id": case_id, "account_id": coach.account_id, "assessor_id": assessor.account_id,
            "previous_assessor_id": previous.account_id if previous else None,
            "due_on": today() + timedelta(days=56)}, subject=coach.account_id)

    # --- what is stored --------------------------------------------------------------------------------

    def scalar(self, sql: str, params=()) -> Any:
        with self.service.db.transaction() as conn:
            row = conn.execute(sql, params).fetchone()
        return next(iter(row.values()))

    def rows(self, sql: str, params=()) -> list[dict]:
        with self.service.db.transaction() as conn:
            return conn.execute(sql, params).fetchall()

    def counts(self) -> dict[str, int]:
        """Rows of every table a request may change, objects in the bucket and unfinished uploads."""
        tables = ("activities", "evidence", "outbox", "noloc_imports", "pending_noloc_activities")
        found = {table: self.scalar(f"SELECT count(*) FROM {table}") for table in tables}
        found["objects"] = len(self.objects())
        found["multipart_uploads"] = len(self._s3.list_multipart_uploads(
            Bucket=self.settings.evidence_bucket).get("Uploads", []))
        return found

    def objects(self) -> list[str]:
        store = self.service.evidence_store
        store.ensure_bucket()
        return [item.object_name for item in store.client.list_objects(store.bucket, recursive=True)]

    def outbox(self, subject=None, type_: str | None = None) -> list[dict]:
        return select_bodies([row["body"] for row in self.rows("SELECT body FROM outbox ORDER BY seq")],
                             type_, subject)


def activity_body(**overrides) -> dict:
    body = {"title": "Webinar motiverende gespreksvoering", "provider": "Noloc Academie",
            "completed_on": (today() - timedelta(days=30)).isoformat(), "category": 1, "amount": "3",
            "unit": "sbu"}
    body.update(overrides)
    return {name: value for name, value in body.items() if value is not None}


def assert_problem(response, status: int, *, contains: str | None = None, field: str | None = None) -> dict:
    """A problem+json answer of ``status``; ``contains`` must be in its detail or a field message."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    if field is not None:
        assert field in body.get("errors", {}), body
    if contains is not None:
        texts = [body.get("detail") or ""] + [m for ms in body.get("errors", {}).values() for m in ms]
        assert any(contains in text for text in texts), body
    return body
