"""A tenant's own patterns, compiled with RE2: matching runs in time linear in the text whatever
the pattern, so no pattern a tenant admin types can hang a worker (no backtracking)."""

import re2

from core.redaction.engine import Rule

MAX_PATTERN_LENGTH = 200
MAX_PROGRAM_BYTES = 1 << 20  # RE2 refuses patterns whose compiled program needs more


class PatternError(ValueError):
    pass


def _options() -> "re2.Options":
    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_PROGRAM_BYTES
    return options


def compile_custom(pattern: str):
    """The compiled pattern, or PatternError with the reason a person can act on."""
    if not pattern:
        raise PatternError("empty")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError("too_long")
    try:
        compiled = re2.compile(pattern, _options())
    except re2.error as error:
        raise PatternError("invalid") from error
    if compiled.search("") is not None:
        # It would match between every two characters: nothing to mask, endless findings.
        raise PatternError("matches_empty")
    return compiled


def custom_rule(kind: str, pattern: str) -> Rule:
    """A tenant's rule: masks the whole match, or its first group when it has one."""
    compiled = compile_custom(pattern)
    group = 1 if compiled.groups else 0

    def spans(text: str, lowered: str, found: frozenset):
        for match in compiled.finditer(text):
            start, end = match.span(group)
            if start >= 0:
                yield start, end

    return Rule(kind, spans, rank=0)
