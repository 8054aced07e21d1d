"""Secret masking: pure, with no help-desk knowledge (no Django, no models).

`Masker(rules).mask(text)` returns a `Masked` (the text with each secret's value replaced, and
how many of each kind were found). `BUILTIN` is the rule set every text goes through; tenants
add their own rules with `custom_rule` (RE2: linear time whatever the pattern).
"""

from core.redaction.engine import Finding, Masked, Masker, Rule, mask_value
from core.redaction.rules import BUILTIN, BUILTIN_KINDS, builtin_masker
from core.redaction.tenant_rules import PatternError, compile_custom, custom_rule

__all__ = [
    "BUILTIN",
    "BUILTIN_KINDS",
    "Finding",
    "Masked",
    "Masker",
    "PatternError",
    "Rule",
    "builtin_masker",
    "compile_custom",
    "custom_rule",
    "mask_value",
]
