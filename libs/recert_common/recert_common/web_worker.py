"""The gunicorn worker every web process runs: gunicorn's threaded worker, answering the requests it cannot
read (before the app sees them) as the app answers every error: ``application/problem+json``.

gunicorn writes those answers itself, as HTML pages: a malformed header or request line, a header block or
URI too long. Clients of the API expect a problem document for every 4xx (the OpenAPI documents say so), so
this worker lets gunicorn choose the status, as it knows the HTTP rules, and writes the problem document of
that status (``errors.problem_for_status``) instead of the page; gunicorn's English explanation is for the
server's log, where gunicorn writes it too.

One status is changed. A ``Transfer-Encoding`` naming a coding gunicorn does not take (or empty) is answered
with 501, a server error the API documents nowhere, for what is the client's mistake. This worker answers it
with 400 as any other request it cannot read: RFC 9112 section 6.3 requires 400 whenever ``chunked`` is not
the last coding, since the body's length is then unknown; only for an unknown coding followed by
``chunked`` does section 6.1 suggest 501 (a SHOULD).
"""
from __future__ import annotations

import json
from http import HTTPStatus

from gunicorn import util
from gunicorn.http.errors import InvalidHeader, UnsupportedTransferCoding
from gunicorn.workers.gthread import ThreadWorker

from recert_common import i18n
from recert_common.errors import PROBLEM_JSON, problem_for_status

#: For gunicorn's ``worker_class`` setting.
WORKER_CLASS = "recert_common.web_worker.ProblemThreadWorker"


class _Page:
    """Stands in for the client's socket while gunicorn writes its error page, to learn the status."""

    def __init__(self) -> None:
        self.written = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.written += data

    def status(self) -> int:
        status_line = self.written.split(b"\r\n", 1)[0].split()
        return int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 400


def raw_problem_response(status: int) -> bytes:
    """The whole HTTP answer: ``status``'s problem document, in the platform's default language (the
    request's Accept-Language was not read), on a connection that closes."""
    language = i18n.DEFAULT_LANGUAGE
    body = json.dumps(problem_for_status(status).to_dict(language), ensure_ascii=False).encode()
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_JSON}\r\nContent-Language: {language}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class ProblemThreadWorker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        if isinstance(exc, UnsupportedTransferCoding):
            exc = InvalidHeader("TRANSFER-ENCODING", req=req)
        page = _Page()
        super().handle_error(req, page, addr, exc)  # logs, and picks the status
        try:
            util.write_nonblock(client, raw_problem_response(page.status()))
        except Exception:  # the client is gone: as gunicorn does, nothing more to tell it
            self.log.debug("Failed to send error message.")
