"""`make demo`: the whole recertification story through the gateway's HTTP API, as a frontend walks it,
against a running `make dev`.

A new jobcoach registers and logs in with TOTP, builds and submits a portfolio; DNV checks the PE points, an
assessor advises "postponed" (internal to DNV: the jobcoach sees nothing yet), DNV decides "postponed"
(which opens the supplement for 3 months from the decision), the jobcoach supplements, the same assessor
advises positive, DNV decides and renews the certificate; the public register shows it and the jobcoach's
e-mails are listed. Each step prints a line or three; the first
step that does not do what it should prints what was expected and what came back, and the run exits 1.

    python scripts/demo.py [--gateway http://127.0.0.1:8000] [--dev-dir .dev]

From Python (tests, benchmarks): ``run_story(gateway, dev_dir=..., out=...)`` returns a ``StoryResult``
with the exit code and the seconds, in all and per step.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_client and demo_story, when imported by path

import requests  # noqa: E402
from demo_client import Gateway, StepFailed  # noqa: E402
from demo_story import Story, StoryConfig  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GATEWAY = "http://127.0.0.1:8000"
DEFAULT_DEV_DIR = ROOT / ".dev"
OK, FAILED, NOT_READY = 0, 1, 2


@dataclass
class StoryResult:
    exit_code: int
    seconds: float  # the whole story, from the first request to the last
    step_seconds: list[tuple[str, float]] = field(default_factory=list)
    failed_step: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # the jobcoach, certificate and case of this run

    @property
    def ok(self) -> bool:
        return self.exit_code == OK


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SystemExit(f"{path} ontbreekt ({what}): draait `make dev`? Of geef --dev-dir op.") from None


def run_story(gateway: str = DEFAULT_GATEWAY, *, dev_dir: Path | str = DEFAULT_DEV_DIR,
              seed: dict[str, Any] | None = None, webhook_secret: str | None = None,
              mail_dir: Path | str | None = None, out: TextIO | None = None,
              wait_seconds: float = 20.0) -> StoryResult:
    """Walk the story against the gateway at ``gateway``.

    ``dev_dir`` holds what `make dev` leaves: ``seed.json`` (the demo accounts), ``secrets.json`` (the
    ``billing_webhook_secret``), ``mail/`` (the SMTP sink's e-mails), and ``demo-staff.json``, where the demo
    keeps the staff's authenticator secrets between runs. ``seed``, ``webhook_secret`` and ``mail_dir``
    override the files. ``wait_seconds`` bounds every wait for an event's effect."""
    out = out or sys.stdout
    dev_dir = Path(dev_dir)

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    try:
        seed = seed if seed is not None else _read_json(dev_dir / "seed.json", "de demo-accounts")
        if webhook_secret is None:
            webhook_secret = _read_json(dev_dir / "secrets.json", "de geheimen")["billing_webhook_secret"]
    except SystemExit as missing:
        say(f"✗ {missing}")
        return StoryResult(NOT_READY, 0.0)
    client = Gateway(gateway, on_wait=lambda message: say(f"  ... {message}"))
    if not client.ready():
        say(f"✗ de gateway op {gateway} antwoordt niet (GET /readyz): start eerst `make dev`")
        return StoryResult(NOT_READY, 0.0)

    config = StoryConfig(seed=seed, webhook_secret=webhook_secret, keyring_path=dev_dir / "demo-staff.json",
                         mail_dir=Path(mail_dir) if mail_dir is not None else dev_dir / "mail",
                         wait_seconds=wait_seconds)
    story = Story(client, config)
    steps = story.steps()
    result = StoryResult(OK, 0.0, facts=story.facts)
    say(f"Demo tegen {gateway} (run {story.tag})")
    started = time.monotonic()
    for number, (title, step) in enumerate(steps, 1):
        label = f"{number}/{len(steps)} {title}"
        step_started = time.monotonic()
        try:
            lines = step()
        except StepFailed as failure:
            say(f"✗ {label}")
            say(f"    verwacht: {failure.expected}")
            say(f"    kreeg:    {failure.observed}")
            result.exit_code, result.failed_step = FAILED, title
        except requests.RequestException as error:
            say(f"✗ {label}: de gateway is niet bereikbaar: {error}")
            result.exit_code, result.failed_step = FAILED, title
        except Exception as error:  # an answer of an unexpected shape fails the step, loudly
            say(f"✗ {label}: onverwacht antwoord: {error!r}")
            say("".join(traceback.format_exc(limit=3)).rstrip())
            result.exit_code, result.failed_step = FAILED, title
        result.step_seconds.append((title, time.monotonic() - step_started))
        if result.failed_step:
            break
        say(f"✓ {label}: {lines[0]}")
        for line in lines[1:]:
            say(f"    {line}")
    result.seconds = time.monotonic() - started
    if result.ok:
        say(f"Klaar: het hele verhaal in {result.seconds:.1f} s")
    else:
        say(f"Gestopt bij stap '{result.failed_step}' na {result.seconds:.1f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", default=DEFAULT_GATEWAY,
                        help=f"the gateway's address ({DEFAULT_GATEWAY})")
    parser.add_argument("--dev-dir", default=str(DEFAULT_DEV_DIR),
                        help="the folder `make dev` writes: seed.json, secrets.json, mail/ (.dev)")
    parser.add_argument("--wait", type=float, default=20.0,
                        help="seconds to wait at most for each effect of an event (20)")
    args = parser.parse_args(argv)
    return run_story(args.gateway, dev_dir=args.dev_dir, wait_seconds=args.wait).exit_code


if __name__ == "__main__":
    sys.exit(main())
