"""Operator commands for dead letters.

    python -m recert_common.bus dead-letters list  <queue>
    python -m recert_common.bus dead-letters replay <queue> [--limit N]

``<queue>`` is the consumer's queue, e.g. ``notifications.messages``; the broker comes from RECERT_AMQP_URL.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from recert_common.bus.deadletter import list_dead_letters, replay_dead_letters


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recert_common.bus")
    parser.add_argument("topic", choices=["dead-letters"])
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("queue")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--amqp-url", default=os.environ.get("RECERT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"))
    args = parser.parse_args(argv)
    if args.action == "list":
        for letter in list_dead_letters(args.amqp_url, args.queue, limit=args.limit or 1000):
            print(json.dumps(dataclasses.asdict(letter)))
    else:
        print(f"replayed {replay_dead_letters(args.amqp_url, args.queue, args.limit)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
