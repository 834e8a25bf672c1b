"""The gunicorn worker every web process runs: gunicorn's threaded worker with one answer changed.

gunicorn answers a request whose ``Transfer-Encoding`` names a coding it does not take (or is empty) with
501 before the app sees it. That is a server error our API documents nowhere, for what is the client's
mistake, so this worker answers it as gunicorn answers every other request it cannot read: 400. RFC 9112
section 6.3 requires 400 whenever ``chunked`` is not the last coding, since the body's length is then
unknown; only for an unknown coding followed by ``chunked`` does section 6.1 suggest 501 (a SHOULD).
"""
from __future__ import annotations

from gunicorn.http.errors import InvalidHeader, UnsupportedTransferCoding
from gunicorn.workers.gthread import ThreadWorker

#: For gunicorn's ``worker_class`` setting.
WORKER_CLASS = "recert_common.web_worker.ClientErrorThreadWorker"


class ClientErrorThreadWorker(ThreadWorker):
    def handle_error(self, req, client, addr, exc):
        if isinstance(exc, UnsupportedTransferCoding):
            exc = InvalidHeader("TRANSFER-ENCODING", req=req)
        super().handle_error(req, client, addr, exc)
