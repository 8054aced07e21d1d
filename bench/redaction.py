"""Secret masking: precision and recall per kind over the labelled corpus, and the time to mask
a message. Run from the project root: ``python bench/redaction.py``. No database needed.

Messages timed (median of many runs, one warm-up):
- ``10 KB benign``: the corpus's benign strings (logs with request ids, URLs, commit hashes,
  UUIDs, base64 thumbnails, "password"/"token"/"key" in prose) joined up to 10 KB;
- ``10 KB with 6 secrets``: the benign text with six of the corpus's secret-bearing strings;
- ``10 KB dense``: nothing but secret-bearing strings (~70 secrets): a worst case, not a target;
- ``300 B message``: a typical ticket description (a request id, a URL, a ticket reference);
- ``300 B with a key``: the same with an `api_key=…` in it;
- each again with two tenant patterns (RE2) added.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.redaction import builtin_masker, custom_rule  # noqa: E402
from core.redaction.scoring import load, score  # noqa: E402

CORPUS = ROOT / "tests" / "core" / "redaction" / "corpus.jsonl"
TYPICAL = (
    "Hi, since this morning the export of our orders to CSV stops after 30 s with a 502. "
    "Request id 7f3a9c2e-1b4d-4e8f-9a6b-2c5d7e8f9a0b, see https://status.example.com/inc/42. "
    "We tried a smaller range (ACME-41 had the same issue). Thanks, Maria"
)
TARGETS = {"precision": 0.98, "recall": 0.98, "ms_per_10kb": 1.0}


def fill(items: list[dict], size: int) -> str:
    parts, length, i = [], 0, 0
    while length < size:
        text = items[i % len(items)]["text"]
        parts.append(text)
        length += len(text) + 1
        i += 1
    return "\n".join(parts)[:size]


def per_call_ms(masker, text: str, runs: int) -> float:
    masker.mask(text)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        masker.mask(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    items = load(CORPUS)
    masker = builtin_masker()
    result = score(masker, items)
    positives = sum(1 for i in items if i["secrets"])
    print(
        f"corpus: {len(items)} strings, {positives} with secrets, {len(items) - positives} benign"
    )
    print(f"{'kind':22} {'labels':>6} {'found':>6} {'precision':>9} {'recall':>7}")
    for kind, tally in sorted(result.kinds.items()):
        labels, found = tally.tp + tally.fn, tally.tp + tally.fp
        print(f"{kind:22} {labels:6} {found:6} {tally.precision:9.3f} {tally.recall:7.3f}")
    total = result.total
    print(f"{'all':22} {total.tp + total.fn:6} {total.tp + total.fp:6} "
          f"{total.precision:9.3f} {total.recall:7.3f}")  # fmt: skip
    print(f"values still readable after masking: {len(result.leaks)}")
    for item_id, error in result.errors[:20]:
        print(f"  #{item_id}: {error}")

    benign = [i for i in items if not i["secrets"]]
    secret = [i for i in items if i["secrets"]]
    dense = sorted(secret, key=lambda i: i["id"] * 7919 % 401)
    six = secret[:: len(secret) // 6][:6]
    with_six = fill(benign, 10_240 - sum(len(i["text"]) + 1 for i in six))
    with_six = "\n".join([with_six, *(i["text"] for i in six)])
    tenant = masker + [
        custom_rule("acme_license", r"ACME-LIC-[A-Z0-9]{12}"),
        custom_rule("internal_token", r"itk_[0-9a-f]{32}"),
    ]
    messages = {
        "10 KB benign": (fill(benign, 10_240), 300),
        "10 KB with 6 secrets": (with_six, 300),
        "10 KB dense": (fill(dense, 10_240), 300),
        "300 B message": (TYPICAL, 3000),
        "300 B with a key": (TYPICAL + " Our api_key=abcd1234efgh5678ijkl.", 3000),
    }
    print(f"\n{'message':22} {'built-in ms':>11} {'+2 tenant ms':>12}")
    for name, (text, runs) in messages.items():
        builtin_ms, tenant_ms = per_call_ms(masker, text, runs), per_call_ms(tenant, text, runs)
        print(f"{name:22} {builtin_ms:11.3f} {tenant_ms:12.3f}")
    print(f"\ntargets: precision and recall >= {TARGETS['precision']}, "
          f"< {TARGETS['ms_per_10kb']} ms per 10 KB")  # fmt: skip


if __name__ == "__main__":
    main()
