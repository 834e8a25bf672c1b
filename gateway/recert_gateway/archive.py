"""A jobcoach's data in one archive (the AVG's right of access and to data portability):
``GET /api/v1/my-data/archive``, a ZIP streamed as it is made.

The gateway composes it from the services' own answers to the jobcoach (their token, so each service applies
its own rules and nothing new is exposed): the account (identity), certificates, cases and assessment forms
(assessment), PE activities with their evidence files (pe-registry), cycles with A1-A4, meetings and their
proofs, and the submitted snapshots with the proofs they list (portfolio), invoices with their PDFs
(billing), messages and service-desk requests with their attachments (notifications), documents being
read and the mentorships, and who else read the jobcoach's documents (the access logs).

First every JSON document is fetched (small: one person's rows); when any service fails, the answer is the
problem (502/503/504) and no archive starts, because an archive that silently lacks a part would be
mistaken for complete. Then the ZIP is written to the client entry by entry: JSON documents, then each file
streamed from its service in chunks straight into the ZIP (``zipfile`` writing to an unseekable sink, so
nothing holds the whole archive or a whole file), its SHA-256 computed on the way through. ``manifest.json``,
the last entry, lists every file with the hash the service stored (``stored_sha256``) and the one of the
bytes in the archive (``sha256``). A file that breaks off while streaming aborts the response (the client
gets a truncated ZIP, never a complete-looking one). See ``docs/adr/0020-a-persons-data.md``.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from flask import Blueprint, Response, stream_with_context

from recert_common.auth import BEARER_SCHEME, Role, current_principal, require_roles
from recert_common.clock import PLATFORM_ZONE, local_day
from recert_common.context import get_correlation_id
from recert_common.errors import PROBLEM_JSON
from recert_common.http import ServiceCallError, ServiceClient, ServiceResponseError
from recert_gateway.api import API_PREFIX

_log = logging.getLogger(__name__)

PATH = "my-data/archive"
SERVICES = ("identity", "assessment", "pe-registry", "portfolio", "billing", "notifications")
CHUNK = 64 * 1024
_PAGE = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class FileRef:
    """One file of the archive: where it goes, where it comes from, and the hash its service stored."""

    path: str
    service: str
    source: str  # the service's path
    stored_sha256: str | None
    what: str


@dataclass
class Contents:
    documents: dict[str, Any] = field(default_factory=dict)  # archive path -> JSON
    files: list[FileRef] = field(default_factory=list)


def _safe(name: str | None, fallback: str) -> str:
    cleaned = _UNSAFE.sub("_", name or "").strip("._")
    return cleaned[:100] or fallback


class _Reader:
    """GETs to the services with the jobcoach's token, each within ``timeout``."""

    def __init__(self, clients: Mapping[str, ServiceClient], token: str, timeout: float):
        self.clients, self.token, self.timeout = clients, token, timeout

    def get(self, service: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.clients[service].get(path, token=self.token, params=params, timeout=self.timeout)

    def get_or_none(self, service: str, path: str) -> Any:
        """``None`` when the service answers 404 (there is none, e.g. no certificate yet)."""
        try:
            return self.get(service, path)
        except ServiceResponseError as exc:
            if exc.status == 404:
                return None
            raise

    def all_pages(self, service: str, path: str) -> list[Any]:
        items: list[Any] = []
        page = 1
        while True:
            body = self.get(service, path, {"page": page, "page_size": _PAGE})
            items.extend(body["items"])
            if not body["items"] or len(items) >= body["total"]:
                return items
            page += 1


def collect(clients: Mapping[str, ServiceClient], token: str, *, timeout: float) -> Contents:
    """Every JSON document of the archive and the list of its files; raises ``ServiceCallError``."""
    read = _Reader(clients, token, timeout)
    out = Contents()
    docs = out.documents

    docs["account.json"] = read.get("identity", "/v1/accounts/me")

    docs["certificates.json"] = read.get_or_none("assessment", "/v1/certificates/mine")
    cases = read.all_pages("assessment", "/v1/cases")
    docs["cases.json"] = cases
    for case in cases:
        form = read.get_or_none("assessment", f"/v1/cases/{case['id']}/form")
        if form is not None:
            docs[f"assessment-forms/{case['id']}.json"] = form

    activities = read.all_pages("pe-registry", "/v1/pe/activities")
    docs["pe/activities.json"] = activities
    for activity in activities:
        for evidence in activity.get("evidence") or []:
            out.files.append(FileRef(
                f"pe/evidence/{evidence['id']}-{_safe(evidence.get('filename'), 'bewijs')}", "pe-registry",
                f"/v1/pe/evidence/{evidence['id']}/content", evidence.get("sha256"), "evidence"))

    cycles = []
    for summary in read.all_pages("portfolio", "/v1/portfolio/cycles"):
        cycle = read.get("portfolio", f"/v1/portfolio/cycles/{summary['id']}")
        cycles.append(cycle)
        for meeting in cycle.get("meetings") or []:
            proof = meeting.get("proof")
            if proof:
                out.files.append(FileRef(
                    f"portfolio/proofs/{proof['id']}-{_safe(proof.get('filename'), 'bewijs')}", "portfolio",
                    f"/v1/portfolio/meetings/{meeting['id']}/proof", proof.get("sha256"), "proof"))
    docs["portfolio/cycles.json"] = cycles
    for summary in read.all_pages("portfolio", "/v1/portfolio/submissions"):
        submission = read.get("portfolio", f"/v1/portfolio/submissions/{summary['id']}")
        docs[f"portfolio/submissions/{submission['id']}.json"] = submission
        for meeting in (submission.get("snapshot") or {}).get("reflection_meetings") or []:
            proof = meeting.get("proof")
            if proof:
                out.files.append(FileRef(
                    f"portfolio/submissions/{submission['id']}/proofs/{proof['id']}-"
                    f"{_safe(proof.get('filename'), 'bewijs')}", "portfolio",
                    f"/v1/portfolio/submissions/{submission['id']}/meetings/{meeting['id']}/proof",
                    proof.get("sha256"), "submitted_proof"))

    invoices = read.all_pages("billing", "/v1/invoices")
    docs["invoices.json"] = invoices
    for invoice in invoices:
        name = _safe(invoice.get("number"), invoice["id"])
        out.files.append(FileRef(f"invoices/{name}.pdf", "billing", f"/v1/invoices/{invoice['id']}/pdf",
                                 None, "invoice_pdf"))
        if invoice.get("credit_note"):
            out.files.append(FileRef(f"invoices/{name}-credit-note.pdf", "billing",
                                     f"/v1/invoices/{invoice['id']}/credit-note/pdf", None,
                                     "credit_note_pdf"))

    docs["messages.json"] = read.all_pages("notifications", "/v1/messages")
    # The service desk (ADR 0029): the jobcoach's requests with every post and attachment, those made logged
    # out from her address and matched to her account included (notifications lists them as hers).
    threads = []
    for summary in read.all_pages("notifications", "/v1/desk/requests"):
        thread = read.get("notifications", f"/v1/desk/requests/{summary['id']}")
        threads.append(thread)
        for attachment in thread.get("attachments") or []:
            out.files.append(FileRef(
                f"desk/{summary['id']}/{attachment['id']}-{_safe(attachment.get('filename'), 'bijlage')}",
                "notifications", f"/v1/desk/requests/{summary['id']}/attachments/{attachment['id']}",
                attachment.get("sha256"), "desk_attachment"))
    docs["desk-requests.json"] = threads
    # Documents waiting to be read or confirmed (ADR 0027), and the mentors the jobcoach invited (ADR 0028).
    docs["pe/readings.json"] = read.all_pages("pe-registry", "/v1/pe/readings")
    docs["portfolio/mentorships.json"] = read.get("portfolio", "/v1/portfolio/mentorships")
    docs["access-log.json"] = {"pe": read.all_pages("pe-registry", "/v1/pe/access-log"),
                               "portfolio": read.all_pages("portfolio", "/v1/portfolio/access-log")}
    return out


class _Sink:
    """An unseekable file for ``zipfile``: what it is given waits in ``pending`` until taken."""

    def __init__(self) -> None:
        self.pending: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.pending.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.pending = b"".join(self.pending), []
        return data


def _json_bytes(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode()


def archive_filename(now: datetime) -> str:
    """The download's name, with the day it was made in the platform's calendar: the day the jobcoach calls
    today, also just after midnight."""
    return f"mijn-gegevens-{local_day(now, PLATFORM_ZONE).isoformat()}.zip"


def stream_archive(contents: Contents, fetch: Callable[[FileRef], Iterator[bytes]], *,
                   account_id: str, now: datetime | None = None) -> Iterator[bytes]:
    """The ZIP's bytes, entry by entry; ``fetch`` gives a file's chunks. The entries' times are wall-clock
    times in the platform's calendar (the ZIP format has no time zone, and unzip tools show them as local);
    the manifest's ``made_at`` is the instant in UTC."""
    sink = _Sink()
    now = now or datetime.now(UTC)
    stamp = now.astimezone(PLATFORM_ZONE).timetuple()[:6]
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, document in contents.documents.items():
            archive.writestr(zipfile.ZipInfo(path, stamp), _json_bytes(document),
                             compress_type=zipfile.ZIP_DEFLATED)
            yield sink.take()
        manifest = []
        for ref in contents.files:
            digest, size = hashlib.sha256(), 0
            info = zipfile.ZipInfo(ref.path, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, mode="w", force_zip64=True) as entry:
                for chunk in fetch(ref):
                    digest.update(chunk)
                    size += len(chunk)
                    entry.write(chunk)
                    yield sink.take()
            manifest.append({"path": ref.path, "what": ref.what, "service": ref.service, "size": size,
                             "sha256": digest.hexdigest(), "stored_sha256": ref.stored_sha256})
            yield sink.take()
        archive.writestr(zipfile.ZipInfo("manifest.json", stamp), _json_bytes({
            "account_id": account_id, "made_at": now.isoformat().replace("+00:00", "Z"),
            "documents": sorted(contents.documents), "files": manifest}))
    yield sink.take()


def _file_fetcher(session: requests.Session, urls: Mapping[str, str], token: str, *, timeout: float
                  ) -> Callable[[FileRef], Iterator[bytes]]:
    headers = {"Authorization": f"Bearer {token}"}
    request_id = get_correlation_id()
    if request_id:
        headers["X-Request-ID"] = request_id

    def fetch(ref: FileRef) -> Iterator[bytes]:
        url = urls[ref.service].rstrip("/") + ref.source
        with session.get(url, headers=headers, stream=True, timeout=timeout) as response:
            if response.status_code != 200:
                _log.error("archive file failed", extra={"service": ref.service, "path": ref.source,
                                                         "status": response.status_code})
                raise RuntimeError(f"{ref.service} answered {response.status_code} for {ref.source}")
            yield from response.iter_content(CHUNK)

    return fetch


def archive_blueprint(clients: Mapping[str, ServiceClient], session: requests.Session,
                      urls: Mapping[str, str], *, timeout: float) -> Blueprint:
    blueprint = Blueprint("my-data", __name__, url_prefix=API_PREFIX)

    @blueprint.get(f"/{PATH}")
    @require_roles(Role.JOBCOACH)
    def my_data_archive() -> Response:
        principal = current_principal()
        try:
            contents = collect(clients, principal.token, timeout=timeout)
        except ServiceCallError as exc:
            _log.warning("archive not started: a service failed", extra={"service": exc.service})
            raise exc.to_problem() from None
        fetch = _file_fetcher(session, urls, principal.token, timeout=timeout)
        now = datetime.now(UTC)  # one instant for the name and the entries, also at midnight
        body = stream_with_context(stream_archive(contents, fetch, account_id=str(principal.account_id),
                                                  now=now))
        response = Response(body, mimetype="application/zip")
        response.headers["Content-Disposition"] = f'attachment; filename="{archive_filename(now)}"'
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "private, no-store"
        return response

    return blueprint


def available(services: set[str] | frozenset[str]) -> bool:
    return set(SERVICES) <= set(services)


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def document_archive(document: dict[str, Any]) -> None:
    """Add the archive's operation to the merged OpenAPI ``document``, in place."""
    paths = document.setdefault("paths", {})
    paths[f"{API_PREFIX}/{PATH}"] = {"get": {
        "tags": ["Composed"],
        "summary": "All of one's data in one ZIP archive (AVG)",
        "description": (
            "The jobcoach's account, certificates, cases and assessment forms, PE activities with their "
            "evidence files, cycles with their parts and meeting proofs, submitted snapshots with the "
            "proofs they list, invoices with their PDFs, messages, service-desk requests with their "
            "attachments, documents being read, mentorships, and who else read their documents. "
            "JSON documents plus the files, streamed. `manifest.json` (the last entry) lists every file "
            "with the SHA-256 its service stored and that of the bytes in the archive. Role: jobcoach."),
        "operationId": "composed_my_data_archive",
        "security": [{BEARER_SCHEME: []}],
        "responses": {
            "200": {"description": "The ZIP archive, streamed.",
                    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
            "401": _problem("No valid access token (also when a service refused it)."),
            "403": _problem("Only for the role jobcoach."),
            "502": _problem("A service answered with an error: no archive was started."),
            "503": _problem("A service, or identity's keys, could not be reached: no archive was started."),
            "504": _problem("A service did not answer in time: no archive was started."),
        },
    }}
    document["paths"] = dict(sorted(paths.items()))
