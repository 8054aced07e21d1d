"""The masking engine: rules find spans, the engine picks one rule per span and masks it.

Speed comes from prefilters: each rule names literal anchors (a key prefix, a keyword) and runs
only when one occurs in the text. All anchors of all rules are found in one pass of an RE2 set
(a DFA over the UTF-8 bytes), so a long benign message costs that pass and little else; a
substring search per anchor would scan the text some fifty times.
"""

import bisect
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import re2

BULLET = "•"
HIDDEN = BULLET * 8  # a fixed width: the mask does not tell how long the value was
KEEP = 4  # characters kept at each end of a value of MIN_PARTIAL characters or more
MIN_PARTIAL = 16

# spans(text, lowered, anchors found) -> (start, end) of each value to mask
Spans = Callable[[str, str, frozenset], Iterable[tuple[int, int]]]


def mask_value(value: str) -> str:
    """`sk_live_abc…3f9a` -> `sk_l••••••••3f9a`; shorter than 16 characters: all hidden."""
    if len(value) >= MIN_PARTIAL:
        return value[:KEEP] + HIDDEN + value[-KEEP:]
    return HIDDEN


@dataclass(frozen=True)
class Rule:
    """`spans(text, lowered, found)` yields (start, end) of each value to mask; `found` holds
    the rule's anchors that occur in the text.

    `anchors`: the rule can only match when one of them occurs (in any case when `folded`,
    else as written; folded anchors are lower-case); none means it always runs. `rank`: on
    overlapping spans the lower rank wins (a provider's key format before a keyword form).
    """

    kind: str
    spans: Spans
    anchors: tuple[str, ...] = ()
    folded: bool = False
    rank: int = 0


@dataclass(frozen=True, order=True)
class Finding:
    start: int
    end: int
    kind: str = field(compare=False)


@dataclass(frozen=True)
class Masked:
    text: str
    findings: dict[str, int]  # kind -> how many values were masked; never the values

    @property
    def count(self) -> int:
        return sum(self.findings.values())

    def __bool__(self) -> bool:
        return bool(self.findings)


def lower_same_length(text: str) -> str:
    """`text.lower()`, with every index unchanged (a few characters lower to two)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(low := c.lower()) != 1 else low for c in text)


class Masker:
    def __init__(self, rules: Iterable[Rule]):
        self.rules = tuple(rules)
        self._always = tuple(i for i, rule in enumerate(self.rules) if not rule.anchors)
        self._anchor_of: list[tuple[int, str]] = []  # set index -> (rule index, anchor)
        options = re2.Options()
        options.log_errors = False
        self._anchors = re2.Set.SearchSet(options)
        for i, rule in enumerate(self.rules):
            for anchor in rule.anchors:
                self._anchors.Add(("(?i)" if rule.folded else "") + re2.escape(anchor))
                self._anchor_of.append((i, anchor))
        self._anchors.Compile()

    def __add__(self, rules: Iterable[Rule]) -> "Masker":
        return Masker((*self.rules, *rules))

    def find(self, text: str) -> list[Finding]:
        if not text:
            return []
        found: dict[int, set[str]] = {i: set() for i in self._always}
        if self._anchor_of:
            for index in self._anchors.Match(text.encode("utf-8", "surrogatepass")) or ():
                rule_index, anchor = self._anchor_of[index]
                found.setdefault(rule_index, set()).add(anchor)
        if not found:
            return []
        lowered = lower_same_length(text)
        candidates = sorted(
            self._candidates(text, lowered, found), key=lambda c: (c[0], c[1].start)
        )
        return _without_overlaps(f for _, f in candidates)

    def _candidates(self, text: str, lowered: str, found: dict[int, set[str]]):
        for rule_index in sorted(found):
            rule = self.rules[rule_index]
            for start, end in rule.spans(text, lowered, frozenset(found[rule_index])):
                if end > start and not _already_masked(text, start, end):
                    yield rule.rank, Finding(start, end, rule.kind)

    def mask(self, text: str) -> Masked:
        findings = self.find(text)
        if not findings:
            return Masked(text, {})
        parts, at = [], 0
        for f in findings:
            parts += [text[at : f.start], mask_value(text[f.start : f.end])]
            at = f.end
        parts.append(text[at:])
        return Masked("".join(parts), dict(Counter(f.kind for f in findings)))


def _without_overlaps(candidates: Iterator[Finding]) -> list[Finding]:
    """The candidates in order of preference, each kept unless it overlaps one kept before."""
    starts: list[int] = []
    chosen: list[Finding] = []  # sorted by start, never overlapping
    for finding in candidates:
        at = bisect.bisect_left(starts, finding.start)
        if at and chosen[at - 1].end > finding.start:
            continue
        if at < len(chosen) and chosen[at].start < finding.end:
            continue
        starts.insert(at, finding.start)
        chosen.insert(at, finding)
    return chosen


def _already_masked(text: str, start: int, end: int) -> bool:
    # Masking what was masked before changes nothing and reports nothing.
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return BULLET in text[start:end] or before == BULLET or after == BULLET
