"""Precision and recall of a masker over a labelled corpus (tests/core/redaction/corpus.jsonl).

A finding counts as right when its kind and its exact span are a label's; anything else found
is a false positive (on a benign string, or the wrong span or kind), and a label not found is a
miss. `leaks` lists labelled values still readable after masking, whatever the kind.
"""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from core.redaction.engine import Masker


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Score:
    kinds: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    leaks: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> Tally:
        total = Tally()
        for tally in self.kinds.values():
            total.tp, total.fp, total.fn = (
                total.tp + tally.tp,
                total.fp + tally.fp,
                total.fn + tally.fn,
            )
        return total


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def score(masker: Masker, items: list[dict]) -> Score:
    result = Score()
    for item in items:
        text = item["text"]
        expected = {
            (text.index(s["value"]), text.index(s["value"]) + len(s["value"]), s["kind"])
            for s in item["secrets"]
        }
        found = {(f.start, f.end, f.kind) for f in masker.find(text)}
        for start, end, kind in found:
            if (start, end, kind) in expected:
                result.kinds[kind].tp += 1
            else:
                result.kinds[kind].fp += 1
                result.errors.append((item["id"], f"extra {kind} {text[start:end]!r}"))
        for start, end, kind in expected - found:
            result.kinds[kind].fn += 1
            result.errors.append((item["id"], f"missed {kind} {text[start:end]!r}"))
        masked = masker.mask(text).text
        for s in item["secrets"]:
            if len(s["value"]) >= 4 and s["value"] in masked:
                result.leaks.append((item["id"], s["kind"]))
    return result
