"""Keyword forms: a value written after a word that names it, in the five languages of the
support policies (en, pt-BR, de, es, ru): `password: …`, `Passwort lautet …`, `minha senha é …`,
`Authorization: Bearer …`, `api_key=…`, `Токен доступа: …`.

The words are the rules' anchors (found by the engine's one pass); a short anchored pattern then
reads the separator and the value right after each occurrence. A value after a
symbol (`:`, `=`, a dash) is taken unless it is a placeholder or a common word ("password:
reset"); after a word ("is", "é", "lautet") or a space it must look like a secret, so "my
password is not working" stays as written.
"""

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from core.redaction.engine import Rule

# Up to three short words may stand between the keyword and its separator ("token de acesso é").
FILLER = r"(?:[ \t]+[^\W\d_]{1,15}+){0,3}?"  # possessive words: no backtracking into them
STRONG_SEP = r"[ \t]*(?::=|=>|->|[:=]|[—–])[ \t]*|[ \t]+-[ \t]+"
WORD_SEP = r"[ \t]+(?:is|was|é|ist|lautet|es|era|это)[ \t]*:?[ \t]*"
SPACE = r"[ \t]+"  # right after the keyword only: "API key 3f9a…", never "key changes in 3f9a…"
QUOTE = r"[\"'`]?"

PASSWORD_WORDS = (
    "password", "passwd", "pwd", "passphrase", "passwort", "kennwort", "senha",
    "palavra-passe", "contraseña", "contrasena", "пароль",
)  # fmt: skip
API_KEY_WORDS = (
    "api_key", "api-key", "apikey", "api key", "api-schlüssel", "api schlüssel",
    "api-schluessel", "chave de api", "chave da api", "chave api", "clave de api", "clave api",
    "clave de la api", "api-ключ", "api ключ", "ключ api", "ключ от api",
)  # fmt: skip
SECRET_WORDS = (
    "token", "secret", "key", "schlüssel", "chave", "clave", "ключ", "токен", "секрет",
    "segredo", "secreto", "credential",
)  # fmt: skip

PLACEHOLDER = re.compile(r"^(?:[*x•.\-_#]+|[<(\[].*|\$\{.*|\$\(.*|%\(.*|\{\{.*)$", re.IGNORECASE)
_COMMON_WORDS_BY_LANGUAGE = (
    "reset expired incorrect invalid wrong required changed forgotten missing empty none null "
    "redacted hidden same new old here below above attached unknown yes no true false",
    "vergessen abgelaufen falsch ungültig geändert leer",
    "inválida inválido expirada expirado incorreta incorreto errada errado esquecida",
    "incorrecta incorrecto caducada olvidada vacía",
    "не неверный неверная истёк истек сброшен забыл",
)
COMMON_WORDS = frozenset(w for line in _COMMON_WORDS_BY_LANGUAGE for w in line.split())
SYMBOLS = frozenset("!@#$%^&*_+=?~-/\\|")


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    size = len(value)
    return math.log2(size) - sum(n * math.log2(n) for n in Counter(value).values()) / size


def _trim(value: str) -> str:
    return value.rstrip(".,;:)]}>»\"'`")


def _not_a_password(value: str) -> bool:
    lowered = value.lower()
    return (
        lowered in COMMON_WORDS
        or lowered in PASSWORD_WORDS  # PWD=`pwd`
        or bool(PLACEHOLDER.match(value))  # "base-passwd (3.6.1)", "<your password>"
        or "//" in value  # "-u admin:password http://…": the URL is not the password
    )


def _lenient_password(value: str) -> bool:
    return len(value) >= 3 and not _not_a_password(value)


def _strict_password(value: str) -> bool:
    # A digit or a symbol, but not only the underscores of a CONSTANT_NAME.
    has_digit_or_symbol = any(c.isdigit() or c in SYMBOLS - {"_"} for c in value)
    return len(value) >= 6 and has_digit_or_symbol and not _not_a_password(value)


def _has_letter_and_digit(value: str) -> bool:
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value)


def _api_key(value: str) -> bool:
    return len(value) >= 12 and _has_letter_and_digit(value) and not PLACEHOLDER.match(value)


def _high_entropy(value: str) -> bool:
    return len(value) >= 16 and _has_letter_and_digit(value) and entropy(value) >= 3.0


@dataclass(frozen=True)
class Form:
    """One way a value follows the keyword: the pattern after it, and the test for the value."""

    tail: re.Pattern
    accept: Callable[[str], bool]


def form(after_words: str, direct: str | None, value: str, accept: Callable[[str], bool]) -> Form:
    """`after_words`: separators that may follow a few filler words; `direct`: ones that must
    follow the keyword itself."""
    seps = f"{FILLER}(?:{after_words})" + (f"|{direct}" if direct else "")
    return Form(re.compile(f"(?:{seps}){QUOTE}(?P<v>{value})", re.IGNORECASE), accept)


def keyword_rule(
    kind: str, words: tuple[str, ...], forms: tuple[Form, ...], *, word_start: bool, rank: int
) -> Rule:
    """Values after any of `words` (lower-case; they are the rule's anchors). `word_start`:
    the word must not continue one before it ("passwort" is not in "Kennpasswort"), which
    token words skip on purpose: "Zugangstoken", "client_secret"."""

    def spans(text: str, lowered: str, found: frozenset) -> Iterator[tuple[int, int]]:
        for word in found:
            at = lowered.find(word)
            while at >= 0:
                after = at + len(word)
                inside_a_word = word_start and at and lowered[at - 1].isalpha()
                if not inside_a_word and (span := _value_after(text, after, forms)):
                    yield span
                at = lowered.find(word, after)

    return Rule(kind, spans, words, folded=True, rank=rank)


def _value_after(text: str, at: int, forms: tuple[Form, ...]) -> tuple[int, int] | None:
    # The value nearest the keyword wins: in "Passwort ist S3cr3t! – bitte" the word form's
    # value comes before the dash form's.
    best = None
    for f in forms:
        if (match := f.tail.match(text, at)) is None:
            continue
        start = match.start("v")
        value = _trim(match.group("v"))
        if value and f.accept(value) and (best is None or start < best[0]):
            best = (start, start + len(value))
    return best


# A lone word followed by more words is prose ("Password: Please reset it"), not a value.
PASSWORD_VALUE = r"(?![^\W\d_](?:[^\W\d_]|['’])*[,;.!?]?[ \t]+[^\W\d_])[^\s\"'`•]+"
WEAK_PASSWORD_VALUE = r"(?=[^\s]*[0-9!@#$%^&*+=?~])[^\s\"'`•]+"
TOKEN_VALUE = r"[A-Za-z0-9_\-+/=.]{16,}"
API_KEY_VALUE = r"[A-Za-z0-9_\-+/=.]{12,}"
AUTH_VALUE = r"[A-Za-z0-9_\-.+/=~]{8,}"

KEYWORD_RULES = (
    keyword_rule(
        "bearer_token",
        ("authorization",),
        (
            form(
                r"(?!)",  # nothing between the header's name and its colon
                r"[ \t]*[:=][ \t]*(?:(?:bearer|basic|token|digest|apikey|sso-key)[ \t]+)?",
                AUTH_VALUE,
                lambda v: len(v) >= 8,
            ),
        ),
        word_start=True,
        rank=2,
    ),
    keyword_rule(
        "bearer_token",
        ("bearer",),
        (form(r"(?!)", SPACE, TOKEN_VALUE, _has_letter_and_digit),),
        word_start=True,
        rank=2,
    ),
    keyword_rule(
        "api_key",
        API_KEY_WORDS,
        (form(f"{STRONG_SEP}|{WORD_SEP}", SPACE, API_KEY_VALUE, _api_key),),
        word_start=True,
        rank=3,
    ),
    keyword_rule(
        "password",
        PASSWORD_WORDS,
        (
            form(STRONG_SEP, None, PASSWORD_VALUE, _lenient_password),
            form(WORD_SEP, SPACE, WEAK_PASSWORD_VALUE, _strict_password),
        ),
        word_start=True,
        rank=3,
    ),
    keyword_rule(
        "secret_token",
        SECRET_WORDS,
        (form(f"{STRONG_SEP}|{WORD_SEP}", SPACE, TOKEN_VALUE, _high_entropy),),
        word_start=False,
        rank=4,
    ),
)
