"""The gateway's merged OpenAPI document, built offline: no service, database or broker needs to run.

The portal's API types are generated from it (``web/``: ``npm run typecheck`` runs this script, then
openapi-typescript). Each service's own document is made as ``python -m recert_<svc> openapi`` makes it (the
app from its ``ServiceSpec``, asked for ``/v1/openapi.json`` through Flask's test client), and the documents
are merged by the gateway's own ``MergedOpenAPI`` with the gateway's own additions (the composed endpoints,
the archive, the gateway's error answers): what the running gateway serves at ``/api/v1/openapi.json`` when
every service answers.

    .venv/bin/python scripts/openapi_document.py --out web/openapi/api.json

The services are made with throw-away settings (a random secrets key, a database address that nothing
answers on): building an app opens its connection pool without waiting, so nothing is connected to.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import importlib
import io
import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Nothing listens on port 9 (discard): a pool that tries to connect fails at once, and quietly.
_OFFLINE_ENV = {
    "RECERT_POSTGRES_URL": "postgresql://offline@127.0.0.1:9",
    "RECERT_AMQP_URL": "amqp://offline:offline@127.0.0.1:9//",
    "RECERT_IDENTITY_SECRETS_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "RECERT_BILLING_WEBHOOK_SECRET": "offline-openapi-document",
    "RECERT_ASSESSMENT_SECRETS_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "RECERT_JWKS_URL": "http://127.0.0.1:9/v1/.well-known/jwks.json",
    "RECERT_LOG_LEVEL": "CRITICAL",
}


def service_document(service: str, env: Mapping[str, str]) -> dict[str, Any]:
    """``service``'s own OpenAPI document, as ``python -m recert_<service> openapi`` prints it."""
    spec = importlib.import_module(f"recert_{service.replace('-', '_')}.__main__").SPEC
    settings = spec.settings_cls.from_env(spec.name, env=env)
    response = spec.create_app(settings).test_client().get("/v1/openapi.json")
    if response.status_code != 200:
        raise SystemExit(f"openapi_document: {service} answered {response.status_code} for its document")
    return response.get_json()


class _Documents:
    """Stands in for the gateway's ``Composer``: hands ``MergedOpenAPI`` the documents made here."""

    def __init__(self, documents: Mapping[str, Any]):
        self.documents = dict(documents)

    def fetch(self, calls, **_options):
        from recert_gateway.compose import Composed

        return Composed(documents={name: self.documents[call.service] for name, call in calls.items()
                                   if call.service in self.documents},
                        missing={name: "unreachable" for name, call in calls.items()
                                 if call.service not in self.documents})


def merged_document() -> dict[str, Any]:
    from recert_gateway.app import _extend
    from recert_gateway.composed import available_endpoints
    from recert_gateway.openapi import MergedOpenAPI
    from recert_gateway.routes import ROUTES

    env = {**{k: v for k, v in os.environ.items() if not k.startswith("RECERT_")}, **_OFFLINE_ENV}
    services = ROUTES.services()
    documents = {}
    # The services log to stdout (12-factor) and their pools complain when they cannot connect: kept aside.
    logging.disable(logging.CRITICAL)
    with contextlib.redirect_stdout(io.StringIO()):
        for service in services:
            documents[service] = service_document(service, env)
    logging.disable(logging.NOTSET)
    composed = available_endpoints(services)
    merged = MergedOpenAPI(ROUTES, _Documents(documents), timeout=0.0, cache_seconds=0.0,
                           extend=lambda document: _extend(document, composed, services)).document()
    if merged.get("x-unavailable-services"):
        raise SystemExit(f"openapi_document: missing {merged['x-unavailable-services']}")
    return merged


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the document here (default: standard output)")
    args = parser.parse_args(argv)
    text = json.dumps(merged_document(), indent=1, sort_keys=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        # Unchanged content keeps its modification time, so what is built from it is not rebuilt.
        if not args.out.exists() or args.out.read_text() != text:
            args.out.write_text(text)
    # The pools' background threads would keep trying to connect; nothing else is left to finish.
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
