"""The API reference page at ``/api/v1/docs``: Swagger UI on the merged OpenAPI document.

Swagger UI's files come from the pinned ``swagger-ui-bundle`` package and are served by the gateway, so the
page needs no outside network; its Content-Security-Policy holds the browser to that.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from flask import Blueprint, Response, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from recert_common.errors import NotFound

_OWN_STATIC = Path(str(resources.files("recert_gateway") / "static"))
# The files the page uses, and where each comes from; nothing else of either folder is served.
ASSETS: dict[str, Path] = {
    "swagger-ui.css": Path(str(swagger_ui_path)),
    "swagger-ui-bundle.js": Path(str(swagger_ui_path)),
    "favicon-32x32.png": Path(str(swagger_ui_path)),
    "favicon-16x16.png": Path(str(swagger_ui_path)),
    "docs.js": _OWN_STATIC,
    "docs.css": _OWN_STATIC,
}
ASSET_MAX_AGE = 24 * 3600
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

# Asset links are relative to /api/v1/docs, so they resolve under /api/v1/ behind any host name.
PAGE = """<!DOCTYPE html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Register Jobcoach recertificatie API</title>
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
  <link rel="stylesheet" href="docs/assets/docs.css">
  <link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="docs/assets/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script src="docs/assets/docs.js"></script>
</body>
</html>
"""


def docs_blueprint(url_prefix: str = "/api/v1") -> Blueprint:
    blueprint = Blueprint("gateway_docs", __name__, url_prefix=url_prefix)

    @blueprint.get("/docs")
    def page() -> Response:
        response = Response(PAGE, mimetype="text/html")
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    @blueprint.get("/docs/assets/<name>")
    def asset(name: str) -> Response:
        folder = ASSETS.get(name)
        if folder is None:
            raise NotFound(code="detail.route_not_found")
        response = send_from_directory(folder, name, max_age=ASSET_MAX_AGE)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return blueprint
