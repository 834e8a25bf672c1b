"""Operator commands for the bus.

    python -m recert_common.bus provision [--print]
    python -m recert_common.bus dead-letters list  <queue>
    python -m recert_common.bus dead-letters replay <queue> [--limit N]

``provision`` creates the vhost, every party's broker user with its permissions and topic permissions, the
events exchange and the outside parties' queues (``recert_common.bus.access``), idempotently, through the
management API at RECERT_BROKER_ADMIN_URL (``http://admin:password@rabbitmq:15672``). It reads
RECERT_BROKER_VHOST (default ``recert``), RECERT_EXCHANGE, RECERT_BROKER_USER_PREFIX, RECERT_QUEUE_TYPE
(default ``quorum``) and one password per party, RECERT_BROKER_PASSWORD_<PARTY>. ``--print`` shows the
table without touching the broker.

``<queue>`` is the consumer's queue, e.g. ``notifications.messages``; the broker comes from RECERT_AMQP_URL.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys

from recert_common.bus.access import DEFAULT_USER_PREFIX, DEFAULT_VHOST, parties
from recert_common.bus.deadletter import list_dead_letters, replay_dead_letters
from recert_common.bus.provision import BrokerAdmin, ProvisioningError, passwords_from_env, provision
from recert_common.config import parse_queue_type


def _provision(args) -> int:
    env = os.environ
    exchange = env.get("RECERT_EXCHANGE", "recert.events")
    prefix = env.get("RECERT_BROKER_USER_PREFIX", DEFAULT_USER_PREFIX)
    vhost = env.get("RECERT_BROKER_VHOST", DEFAULT_VHOST)
    try:
        queue_type = parse_queue_type(env.get("RECERT_QUEUE_TYPE", "quorum"))
    except ValueError as exc:
        print(f"provision: RECERT_QUEUE_TYPE: {exc}", file=sys.stderr)
        return 2
    table = parties()
    if args.print:
        for p in table:
            print(json.dumps({"party": p.name, "user": p.user(prefix), "outside": p.outside,
                              "permissions": p.permissions(exchange), "topic_write": p.topic_write(),
                              "receives": list(p.receives), "queue": p.outside_queue()}))
        return 0
    admin_url = env.get("RECERT_BROKER_ADMIN_URL")
    if not admin_url:
        print("provision: set RECERT_BROKER_ADMIN_URL (http://admin:password@host:15672)", file=sys.stderr)
        return 2
    try:
        done = provision(BrokerAdmin(admin_url), passwords_from_env(env, table), vhost=vhost,
                         exchange=exchange, user_prefix=prefix, table=table, queue_type=queue_type)
    except ProvisioningError as exc:
        print(f"provision: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"vhost": done.vhost, "users": done.users, "queues": done.queues, "kept": done.kept}))
    for queue, kind in done.kept.items():
        print(f"provision: kept {queue} as a {kind} queue (RECERT_QUEUE_TYPE={queue_type}); "
              "docs/operations.md, 'Moving to quorum queues'", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recert_common.bus")
    commands = parser.add_subparsers(dest="topic", required=True)
    prov = commands.add_parser("provision", help="create vhost, users, permissions and queues")
    prov.add_argument("--print", action="store_true", help="show the table only")
    letters = commands.add_parser("dead-letters", help="list or replay a consumer's dead letters")
    letters.add_argument("action", choices=["list", "replay"])
    letters.add_argument("queue")
    letters.add_argument("--limit", type=int, default=None)
    letters.add_argument("--amqp-url",
                         default=os.environ.get("RECERT_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//"))
    args = parser.parse_args(argv)
    if args.topic == "provision":
        return _provision(args)
    if args.action == "list":
        for letter in list_dead_letters(args.amqp_url, args.queue, limit=args.limit or 1000):
            print(json.dumps(dataclasses.asdict(letter)))
    else:
        print(f"replayed {replay_dead_letters(args.amqp_url, args.queue, args.limit)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
