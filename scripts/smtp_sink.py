"""A local SMTP sink for `make dev`: accepts every message, stores it as an .eml file and prints one line.

The demo reads the stored messages to show what a jobcoach would have received.
"""
from __future__ import annotations

import argparse
import email
import time
import uuid
from email.policy import default
from pathlib import Path

from aiosmtpd.controller import Controller


class StoreMessages:
    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        (self.directory / name).write_bytes(envelope.content)
        message = email.message_from_bytes(envelope.content, policy=default)
        print(f"mail to {', '.join(envelope.rcpt_tos)}: {message['Subject']} ({name})", flush=True)
        return "250 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--dir", default=".dev/mail")
    args = parser.parse_args()
    controller = Controller(StoreMessages(Path(args.dir)), hostname=args.host, port=args.port)
    controller.start()
    print(f"SMTP sink on {args.host}:{args.port}, messages in {args.dir}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
