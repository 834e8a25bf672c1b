"""Evidence read for the jobcoach (ADR 0027): accuracy per field and time per document on the generated
corpus (services/pe-registry/tests/reading_corpus.py, deterministic from its seed), read exactly as the
worker reads a document: ``extraction.extract_text`` then ``reading.propose``.

A field is right when it equals the truth: the date and the amount with its unit exactly (an amount in
the wrong unit is wrong), title and provider compared without regard to case and surrounding spaces. The
baseline beside each time is the same document's reading without OCR (text PDFs and e-mails), so the cost
of Tesseract stands out. Goal: date and amount right on at least 90 % of the documents.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "services" / "pe-registry" / "tests"))

import reading_corpus  # noqa: E402

from recert_pe_registry.extraction import ReadingFailed, extract_text  # noqa: E402
from recert_pe_registry.reading import propose  # noqa: E402

from common import percentile, write_result  # noqa: E402

GOAL = 0.90
FIELDS = ("date", "amount", "title", "provider")
TODAY = date(2026, 12, 6)


def _same(a: str | None, b: str) -> bool:
    return a is not None and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def judge(document) -> tuple[dict[str, bool], float, str]:
    started = time.perf_counter()
    try:
        extracted = extract_text(document.content_type, document.data)
        proposal = propose(extracted.text, TODAY)
    except ReadingFailed as failed:
        return dict.fromkeys(FIELDS, False), time.perf_counter() - started, f"failed:{failed.reason}"
    elapsed = time.perf_counter() - started
    truth = document.truth
    return {
        "date": proposal.completed_on == truth.completed_on,
        "amount": (proposal.amount, proposal.unit) == (truth.amount, truth.unit),
        "title": _same(proposal.title, truth.title),
        "provider": _same(proposal.provider, truth.provider),
    }, elapsed, extracted.method


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=reading_corpus.DEFAULT_SEED)
    parser.add_argument("--size", type=int, default=reading_corpus.DEFAULT_SIZE)
    parser.add_argument("--out", default="bench-results/reading.json")
    args = parser.parse_args()

    started = time.perf_counter()
    documents = reading_corpus.corpus(args.seed, args.size)
    generated = time.perf_counter() - started
    right: dict[str, int] = defaultdict(int)
    by_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    times: dict[str, list[float]] = defaultdict(list)
    wrong = []
    for document in documents:
        verdict, elapsed, method = judge(document)
        times["ocr" if method == "ocr" else "text"].append(elapsed)
        by_kind[document.kind]["documents"] += 1
        for name, ok in verdict.items():
            right[name] += ok
            by_kind[document.kind][name] += ok
        if not all(verdict.values()):
            wrong.append({"document": document.name, "features": list(document.features), "method": method,
                          "wrong": [name for name, ok in verdict.items() if not ok]})
        misses = [name for name, ok in verdict.items() if not ok]
        outcome = "wrong: " + ", ".join(misses) if misses else "ok"
        print(f"{document.name:24} {elapsed * 1000:8.0f} ms  {outcome}")

    total = len(documents)
    accuracy = {name: right[name] / total for name in FIELDS}
    print()
    print(f"{'field':10} {'right':>7} {'accuracy':>9} {'goal':>6}")
    for name in FIELDS:
        goal = f"{GOAL:.0%}" if name in ("date", "amount") else "-"
        print(f"{name:10} {right[name]:>3}/{total:<3} {accuracy[name]:>9.1%} {goal:>6}")
    all_times = times["ocr"] + times["text"]
    for label, values in (("OCR (images)", times["ocr"]), ("text (PDF, e-mail; baseline)", times["text"]),
                          ("all", all_times)):
        if values:
            print(f"time per document, {label}: mean {sum(values) / len(values) * 1000:.0f} ms, "
                  f"p50 {percentile(values, 50) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms")
    met = accuracy["date"] >= GOAL and accuracy["amount"] >= GOAL
    print(f"goal (date and amount right on at least {GOAL:.0%}): {'met' if met else 'NOT met'}")
    write_result(args.out, "reading", {
        "seed": args.seed, "documents": total,
        "kinds": {kind: dict(counts) for kind, counts in sorted(by_kind.items())},
        "accuracy": accuracy, "right": dict(right), "goal": {"date": GOAL, "amount": GOAL}, "goal_met": met,
        "seconds_per_document": {
            label: {"mean": sum(values) / len(values), "p50": percentile(values, 50), "max": max(values),
                    "documents": len(values)}
            for label, values in (("ocr", times["ocr"]), ("text", times["text"]), ("all", all_times))
            if values},
        "corpus_generation_seconds": generated,
        "wrong": wrong,
    })
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
