"""Evidence upload through the gateway against a direct SDK upload to the same S3 endpoint.

A 15 MB file (generated while it is sent, so the client holds none of it) goes through the gateway to
pe-registry and on into S3; then the same size goes straight to S3 with the minio SDK. For each way: seconds
and MB/s; for the gateway's and pe-registry's web worker processes: how much their peak resident memory
(VmHWM, reset before the upload through /proc/<pid>/clear_refs) grew during the upload. Target: neither
grows by more than 30 MB.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "integration"))

from minio import Minio  # noqa: E402

from recert_common.rules import add_years  # noqa: E402

from common import drop_databases, goal, write_result  # noqa: E402
from conftest import _from_local_machine  # noqa: E402
from frontend import Frontend, outbox_tokens  # noqa: E402
from processes import System  # noqa: E402

MB = 1_000_000
CHUNK = 64 * 1024


def generated(size: int):
    """A PDF-looking body of ``size`` bytes, produced chunk by chunk."""
    head = b"%PDF-1.4\n"
    yield head
    sent, block = len(head), bytes(range(256)) * (CHUNK // 256)
    while sent < size:
        piece = block[: min(CHUNK, size - sent)]
        sent += len(piece)
        yield piece


class GeneratedReader(io.RawIOBase):
    def __init__(self, size: int):
        self._chunks, self._rest = generated(size), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._rest:
            try:
                self._rest = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._rest))
        buffer[:n], self._rest = self._rest[:n], self._rest[n:]
        return n


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=15)
    parser.add_argument("--out", default="bench-results/upload.json")
    args = parser.parse_args()
    size = args.mb * MB

    with _from_local_machine() as infra, tempfile.TemporaryDirectory() as logs:
        system = System(infra, ["identity", "pe-registry"], Path(logs),
                        extra_env={"RECERT_GATEWAY_AUTH_RATE_LIMIT": "off"})
        try:
            system.start()
            app = Frontend(system.gateway, mail=outbox_tokens(system.database_url("identity")))
            person = app.login(app.register())
            valid_until = date.today() + timedelta(days=400)
            system.publish("certification.certificate.registered", {
                "certificate_id": uuid.uuid4(), "certificate_number": f"RJ-{uuid.uuid4().hex[:8]}",
                "account_id": person.id, "valid_from": add_years(valid_until, -4),
                "valid_until": valid_until,
            }, subject=person.id, producer="assessment")
            time.sleep(1)
            activity = app.post("pe/activities", person, json={
                "title": "Leergang", "provider": "Opleider", "category": 1, "unit": "sbu", "amount": "10",
                "completed_on": str(date.today() - timedelta(days=3))}).json()
            workers = {name: children(process.popen.pid)[0] for name, process in
                       (("gateway", system.processes[-1]), ("pe-registry", system.processes[1]))}
            # Warm up both processes with a small upload so that imports and pools are not counted.
            warm = app.post(f"pe/activities/{activity['id']}/evidence", person, data=generated(200_000),
                            headers={"Content-Type": "application/pdf",
                                     "Content-Disposition": 'attachment; filename="w.pdf"'})
            assert warm.status_code == 201, warm.text
            before = {}
            for name, pid in workers.items():
                reset_peak(pid)
                before[name] = peak_kib(pid)
            started = time.perf_counter()
            response = app.post(f"pe/activities/{activity['id']}/evidence", person, data=generated(size),
                                headers={"Content-Type": "application/pdf",
                                         "Content-Disposition": 'attachment; filename="groot.pdf"'})
            gateway_seconds = time.perf_counter() - started
            assert response.status_code == 201, response.text
            expected = hashlib.sha256(b"".join(generated(size))).hexdigest()
            assert response.json()["sha256"] == expected and response.json()["size"] == size
            growth = {name: round((peak_kib(pid) - before[name]) / 1024, 1) for name, pid in workers.items()}

            s3 = Minio(infra.s3_endpoint, access_key=infra.s3_access_key, secret_key=infra.s3_secret_key,
                       secure=False)
            bucket = f"bench-{uuid.uuid4().hex[:8]}"
            s3.make_bucket(bucket)
            started = time.perf_counter()
            s3.put_object(bucket, "direct.pdf", GeneratedReader(size), length=-1, part_size=5 * 1024 * 1024)
            direct_seconds = time.perf_counter() - started
            with contextlib.suppress(Exception):
                s3.remove_object(bucket, "direct.pdf")
                s3.remove_bucket(bucket)
        finally:
            system.stop()
            drop_databases(infra.databases)

    write_result(args.out, "upload", {
        "file_mb": args.mb,
        "through_gateway": {"seconds": round(gateway_seconds, 3),
                            "mb_per_second": round(args.mb / gateway_seconds, 1),
                            "peak_rss_growth_mb": growth},
        "direct_sdk_upload": {"seconds": round(direct_seconds, 3),
                              "mb_per_second": round(args.mb / direct_seconds, 1)},
        "target_peak_rss_growth_mb": 30,
        "goals": [
            *(goal(f"{name} worker's peak RSS growth, {args.mb} MB upload", "<= 30 MB", value, None, "MB",
                   met=value <= 30) for name, value in growth.items()),
            goal("upload through the gateway, MB/s (baseline: straight to S3 with the SDK)", "–",
                 round(args.mb / gateway_seconds, 1), round(args.mb / direct_seconds, 1), "MB/s", met=True),
        ],
    })
    return 0 if all(value <= 30 for value in growth.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
