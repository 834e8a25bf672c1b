"""``python -m recert_gateway web --port N``; ``migrate`` does nothing, as the gateway has no database."""
from __future__ import annotations

from recert_common.runtime import ServiceSpec, main
from recert_gateway.app import create_app
from recert_gateway.settings import GatewaySettings

SPEC = ServiceSpec(name="gateway", settings_cls=GatewaySettings, create_app=create_app, default_port=8000)

if __name__ == "__main__":
    raise SystemExit(main(SPEC))
