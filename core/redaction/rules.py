"""The built-in rules: detect-secrets' provider patterns (imported from the package at run time,
never copied), and ours for what it lacks (Google API keys, GitHub fine-grained tokens, Stripe
test keys, unquoted AWS secret keys, the full body of a private key, keyword forms in five
languages: `keywords.py`).

detect-secrets' plugins not used: the generic high-entropy and keyword scanners (written for
source files; they would mask every commit hash and thumbnail), IP addresses, and the detectors
without a literal anchor or with a very loose shape (Discord, Telegram, Artifactory, Cloudant,
IBM, SoftLayer).
"""

import re
from collections.abc import Iterator
from functools import cache

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector
from detect_secrets.plugins.twilio import TwilioKeyDetector

from core.redaction.engine import Masker, Rule
from core.redaction.keywords import KEYWORD_RULES

TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-]*")
JWT_CHARS = re.compile(r"[A-Za-z0-9_\-.+/=]*")
ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def regex_rule(
    kind: str,
    patterns,
    anchors: tuple[str, ...],
    *,
    folded: bool = False,
    group: int = 0,
    extend=TOKEN_CHARS,
    boundary: bool = True,
    valid=None,
    rank: int = 0,
) -> Rule:
    """A rule from detect-secrets style patterns, searched only on the lines holding an anchor
    (none of these formats spans a line; a search of the whole text with a case-insensitive or
    alternation-led pattern costs far more than finding the anchors).

    Several of its patterns match a fixed-length head of a longer key (Stripe's 24 characters,
    a JWT without its signature): `extend` runs the span on to the end of the token, so no tail
    of a secret stays readable. `boundary` drops matches inside a longer token (a base64
    thumbnail that happens to contain `AKIA…`).
    """
    patterns = [patterns] if isinstance(patterns, re.Pattern) else list(patterns)

    def spans(text: str, lowered: str, found: frozenset) -> Iterator[tuple[int, int]]:
        for line_start, line_end in _anchor_lines(lowered if folded else text, found):
            for pattern in patterns:
                for match in pattern.finditer(text, line_start, line_end):
                    index = group if pattern.groups >= group else 0
                    start, end = match.span(index)
                    if extend is not None:
                        end = extend.match(text, end).end()
                        while end > start and text[end - 1] in ".=":
                            end -= 1  # a sentence's full stop, not the token's
                    if boundary and start and text[start - 1] in ALNUM:
                        continue
                    if valid is None or valid(text[start:end]):
                        yield start, end

    return Rule(kind, spans, anchors, folded=folded, rank=rank)


def _anchor_lines(haystack: str, anchors) -> list[tuple[int, int]]:
    lines = set()
    for anchor in anchors:
        at = haystack.find(anchor)
        while at >= 0:
            start = haystack.rfind("\n", 0, at) + 1
            end = haystack.find("\n", at)
            end = len(haystack) if end < 0 else end
            lines.add((start, end))
            at = haystack.find(anchor, end)
    return sorted(lines)


def private_key_spans(text: str, lowered: str, found: frozenset) -> Iterator[tuple[int, int]]:
    """The body of a private key, from the line after detect-secrets' `BEGIN … PRIVATE KEY`
    marker to the END marker (or the end of the text when it was cut)."""
    for pattern in PrivateKeyDetector.denylist:
        for match in pattern.finditer(text):
            line_end = text.find("\n", match.end())
            if line_end < 0:
                continue
            start = line_end + 1
            end = len(text)
            for closing in ("-----END", "Private-MAC:"):
                if (at := text.find(closing, start)) >= 0:
                    end = min(end, at)
            body = text[start:end]
            stripped = body.strip()
            if stripped:
                offset = start + body.index(stripped)
                yield offset, offset + len(stripped)


OUR_PATTERNS = {
    "google_api_key": re.compile(r"AIza[0-9A-Za-z_\-]{35}"),
    "github_fine_grained": re.compile(r"github_pat_[0-9A-Za-z_]{22,}"),
    "stripe_test": re.compile(r"[rs]k_test_[0-9A-Za-z]{24,}"),
    # detect-secrets leaves out passwords with characters a URL should percent-encode
    # (`!`, `$`, `#`…); people paste them raw all the same.
    "url_password": re.compile(r"://[^\s:/?#@]*:([^\s/?#@]+)@"),
    # detect-secrets wants the value quoted; a pasted env file or INI has no quotes.
    "aws_secret_unquoted": re.compile(
        r"aws_?secret_?access_?key\s*[:=]\s*[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        re.IGNORECASE,
    ),
}

_aws_key_id, _aws_secret = AWSKeyDetector.denylist
_slack_token, _slack_webhook = SlackDetector.denylist


BUILTIN: tuple[Rule, ...] = (
    regex_rule("aws_access_key", _aws_key_id, ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")),
    regex_rule(
        "aws_secret_key",
        [_aws_secret, OUR_PATTERNS["aws_secret_unquoted"]],
        ("aws",),
        folded=True,
        group=1,
        extend=None,
    ),
    regex_rule(
        "github_token",
        [*GitHubTokenDetector.denylist, OUR_PATTERNS["github_fine_grained"]],
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    regex_rule(
        "gitlab_token",
        GitLabTokenDetector.denylist,
        ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "GR1348941", "glcbt-", "glimt-")
        + ("glptt-", "glagent-", "gloas-"),
    ),
    regex_rule("slack_token", _slack_token, ("xox",), folded=True),
    regex_rule("slack_webhook", _slack_webhook, ("hooks.slack.com",), folded=True),
    regex_rule(
        "stripe_key",
        [*StripeDetector.denylist, OUR_PATTERNS["stripe_test"]],
        ("k_live_", "k_test_"),
    ),
    regex_rule("openai_key", OpenAIDetector.denylist, ("T3BlbkFJ",)),
    regex_rule("google_api_key", OUR_PATTERNS["google_api_key"], ("AIza",)),
    regex_rule("twilio_key", TwilioKeyDetector.denylist, ("AC", "SK")),
    regex_rule("sendgrid_key", SendGridDetector.denylist, ("SG.",)),
    regex_rule("npm_token", NpmDetector.denylist, ("_authtoken",), folded=True, group=1),
    regex_rule("pypi_token", PypiTokenDetector.denylist, ("pypi-",)),
    regex_rule("azure_storage_key", AzureStorageKeyDetector.denylist, ("AccountKey=",)),
    regex_rule("square_oauth", SquareOAuthDetector.denylist, ("sq0csp-",)),
    regex_rule("mailchimp_key", MailchimpDetector.denylist, ("-us",)),
    regex_rule(
        "jwt",
        JwtTokenDetector.denylist,
        ("eyJ",),
        extend=JWT_CHARS,
        valid=JwtTokenDetector.is_formally_valid,
    ),
    Rule(
        "private_key",
        private_key_spans,
        ("private key", "putty-user-key-file"),
        folded=True,
    ),
    regex_rule(
        "url_credentials",
        [*BasicAuthDetector.denylist, OUR_PATTERNS["url_password"]],
        ("://",),
        group=1,
        extend=None,
        boundary=False,
        rank=1,
    ),
    *KEYWORD_RULES,
)

BUILTIN_KINDS = frozenset(rule.kind for rule in BUILTIN)


@cache
def builtin_masker() -> Masker:
    return Masker(BUILTIN)
