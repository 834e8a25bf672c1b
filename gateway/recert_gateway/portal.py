"""The portal (``web/``, built into ``web/dist``) served at ``/``, beside the API at ``/api/v1``.

- ``/assets/...``: the build's content-hashed files, cached for a year (a new build has new names); to a
  browser that accepts gzip, the ``.gz`` copy the build wrote beside a file (web/scripts/compress.mjs) with
  ``Content-Encoding: gzip``, so that no compressing proxy is needed for the portal to be light.
- Any other path that names a file of the build (the manifest, icons) is served with a short cache.
- Any other path answers ``index.html``, uncached, so that a deep link (``/pe/activiteiten``) opens the app,
  which routes it itself.

Every portal answer carries ``PORTAL_CONTENT_SECURITY_POLICY``: scripts, styles and connections only from the
gateway's own origin, nothing inline, no plugins, no framing. When the build is absent (a checkout where
``make web`` did not run) the paths answer 404 with a problem that says so, and the API is unaffected.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, request, send_from_directory
from werkzeug.security import safe_join

from recert_common.errors import NotFound

PORTAL_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'; manifest-src 'self'"
)
ASSET_MAX_AGE = 365 * 24 * 3600
OTHER_FILE_MAX_AGE = 300
DEFAULT_WEB_ROOT = Path(__file__).resolve().parents[2] / "web" / "dist"


def portal_blueprint(web_root: Path) -> Blueprint:
    blueprint = Blueprint("portal", __name__)

    @blueprint.get("/")
    @blueprint.get("/<path:path>")
    def page(path: str = "") -> Response:
        index = web_root / "index.html"
        if not index.is_file():
            raise NotFound(code="detail.portal_not_built")
        if path.startswith("api/"):
            raise NotFound(code="detail.route_not_found")
        found = safe_join(str(web_root), path) if path else None
        if found is not None and Path(found).is_file():
            immutable = path.startswith("assets/")
            if immutable and _compressed_copy(web_root, path):
                response = send_from_directory(web_root, f"{path}.gz", max_age=ASSET_MAX_AGE,
                                               mimetype=_mimetype(path))
                response.content_encoding = "gzip"
            else:
                response = send_from_directory(web_root, path,
                                               max_age=ASSET_MAX_AGE if immutable else OTHER_FILE_MAX_AGE)
            if immutable:
                response.cache_control.immutable = True
                response.cache_control.public = True
                response.vary.add("Accept-Encoding")
        else:
            response = send_from_directory(web_root, "index.html", max_age=0)
            response.cache_control.no_cache = True
        response.headers["Content-Security-Policy"] = PORTAL_CONTENT_SECURITY_POLICY
        return response

    return blueprint


def _compressed_copy(web_root: Path, path: str) -> bool:
    """Whether the browser takes gzip and the build wrote a ``.gz`` copy of ``path``."""
    return "gzip" in request.accept_encodings and (web_root / f"{path}.gz").is_file()


def _mimetype(path: str) -> str:
    import mimetypes

    return mimetypes.guess_type(path)[0] or "application/octet-stream"
