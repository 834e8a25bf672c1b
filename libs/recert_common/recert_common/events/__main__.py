"""``python -m recert_common.events asyncapi [--format json|yaml]`` prints the AsyncAPI document."""
from __future__ import annotations

import argparse
import json
import sys

from recert_common.events.asyncapi import asyncapi_document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recert_common.events",
                                     description="Tools around the platform's event catalogue.")
    commands = parser.add_subparsers(dest="command", required=True)
    asyncapi = commands.add_parser("asyncapi", help="print the AsyncAPI 3.0 document of every event type")
    asyncapi.add_argument("--format", choices=("json", "yaml"), default="json")
    args = parser.parse_args(argv)

    document = asyncapi_document()
    if args.format == "yaml":
        try:
            import yaml
        except ImportError:
            parser.error("--format yaml needs PyYAML, which is not installed; use --format json")
        sys.stdout.write(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))
    else:
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
