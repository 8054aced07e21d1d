"""The masking engine on its own: the corpus figures, the mask's shape, tenant patterns."""

import statistics
import time
from pathlib import Path

import pytest

from core.redaction import PatternError, builtin_masker, compile_custom, custom_rule, mask_value
from core.redaction.scoring import load, score

CORPUS = load(Path(__file__).with_name("corpus.jsonl"))
LISTED_KINDS = {
    "aws_access_key", "aws_secret_key", "github_token", "gitlab_token", "slack_token",
    "slack_webhook", "stripe_key", "openai_key", "google_api_key", "twilio_key", "sendgrid_key",
    "jwt", "private_key", "url_credentials", "password", "bearer_token", "api_key",
    "secret_token",
}  # fmt: skip


def test_the_corpus_has_every_listed_kind_in_five_languages_and_benign_look_alikes():
    assert len(CORPUS) >= 300
    assert {item["lang"] for item in CORPUS} == {"en", "pt-BR", "de", "es", "ru"}
    assert {s["kind"] for item in CORPUS for s in item["secrets"]} == LISTED_KINDS
    assert sum(1 for item in CORPUS if not item["secrets"]) >= 100


def test_the_corpus_figures_meet_the_targets():
    result = score(builtin_masker(), CORPUS)
    for kind in LISTED_KINDS:
        tally = result.kinds[kind]
        assert tally.recall >= 0.98, (kind, tally, result.errors)
        assert tally.precision >= 0.98, (kind, tally, result.errors)
    assert result.total.precision >= 0.98 and result.total.recall >= 0.98
    assert result.leaks == []


def test_benign_look_alikes_come_back_unchanged():
    masker = builtin_masker()
    for item in CORPUS:
        if not item["secrets"]:
            assert masker.mask(item["text"]).text == item["text"], item["id"]


def test_a_long_value_keeps_four_characters_at_each_end_and_a_short_one_is_hidden_whole():
    key = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc3f9a"
    masked = builtin_masker().mask(f"our key is {key}, thanks")
    assert masked.text == "our key is sk_l••••••••3f9a, thanks"
    assert masked.findings == {"stripe_key": 1}
    assert builtin_masker().mask("Passwort: Sonne#12").text == "Passwort: ••••••••"
    assert mask_value("x" * 15) == "••••••••" and mask_value("abcd" + "x" * 8 + "wxyz") == (
        "abcd••••••••wxyz"
    )


def test_a_longer_key_than_the_rule_set_knows_is_masked_to_its_end():
    # detect-secrets matches 24 characters after sk_live_; today's keys are longer.
    key = "sk_live_51" + "A" * 90 + "tail"
    masked = builtin_masker().mask(key + " is ours")
    assert masked.text == "sk_l••••••••tail is ours"


def test_masking_twice_changes_nothing_more():
    masker = builtin_masker()
    for item in CORPUS:
        once = masker.mask(item["text"])
        twice = masker.mask(once.text)
        assert twice.text == once.text and not twice, item["id"]


def test_several_secrets_in_one_message_are_each_counted():
    text = (
        "aws_access_key_id=AKIAQWERTYUIOPASDFGH\n"
        "password: hunter22\n"
        "url: https://bot:Sup3rS3cret@git.example.com/x.git"
    )
    masked = builtin_masker().mask(text)
    assert masked.findings == {"aws_access_key": 1, "password": 1, "url_credentials": 1}
    assert "AKIAQWERTY" not in masked.text and "hunter22" not in masked.text
    assert "Sup3rS3cret" not in masked.text and "git.example.com" in masked.text


def test_a_10_kb_message_is_masked_in_well_under_a_few_milliseconds():
    # The bench measures ~0.3 ms; this only catches a rule that went quadratic or unanchored.
    benign = "\n".join(item["text"] for item in CORPUS if not item["secrets"])
    text = (benign * 3)[:10_240]
    masker = builtin_masker()
    masker.mask(text)
    runs = []
    for _ in range(15):
        start = time.perf_counter()
        masker.mask(text)
        runs.append(time.perf_counter() - start)
    assert statistics.median(runs) < 0.005


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("", "empty"),
        ("x" * 201, "too_long"),
        ("ACME-(", "invalid"),
        (r"(?<=key)\w+", "invalid"),  # look-behind: RE2 has none
        (r"(a)\1", "invalid"),  # back-reference
        ("a*", "matches_empty"),
        ("(?:LIC-[0-9]+)?", "matches_empty"),
    ],
)
def test_a_tenant_pattern_that_is_invalid_or_matches_nothing_is_refused(pattern, reason):
    with pytest.raises(PatternError) as error:
        compile_custom(pattern)
    assert str(error.value) == reason


def test_a_catastrophic_pattern_runs_in_linear_time_under_re2():
    rule = custom_rule("evil", r"(a+)+$")
    masker = builtin_masker() + [rule]
    text = "a" * 50_000 + "!"
    start = time.perf_counter()
    masker.mask(text)
    assert time.perf_counter() - start < 0.5  # Python's re would run for ages


def test_a_tenant_pattern_masks_its_group_or_its_whole_match():
    masker = builtin_masker() + [
        custom_rule("acme_license", r"ACME-LIC-[A-Z0-9]{12}"),
        custom_rule("pin", r"PIN: (\d{4,8})"),
    ]
    masked = masker.mask("License ACME-LIC-9F8E7D6C5B4A, PIN: 482913.")
    assert masked.text == "License ACME••••••••5B4A, PIN: ••••••••."
    assert masked.findings == {"acme_license": 1, "pin": 1}


@pytest.mark.parametrize(
    "text",
    [
        "Our public key: ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC7 user@host",
        "The API key field is required (error code E4012)",
        "Foreign key constraint fails on order_items.order_id",
        "Cache key: user:12345:profile",
        "Token bucket size 1000, refill rate 10/s",
        "password: ********",
        "password=${DB_PASSWORD}",
        "Password: (see the vault)",
        "The secret sauce is our support team",
        "commit key changes in 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
        "Bearer tokens expire after 3600 seconds",
        "DATABASE_URL=postgres://user@host/db",
        "Visit https://user@example.com/path",
        "Mein Passwort ist abgelaufen, bitte zurücksetzen.",
        "Password: Please reset it, we never ask for it by email.",
        "Senha: esqueci, podem enviar um link?",
        "curl -u admin:password https://api.example.com/users/ returns 401",
        "set_challenge_password: don't accept a null password",
        "decrypt without a password is GNUTLS_E_DECRYPTION_FAILED.",
        "base-passwd (3.6.1) unstable; urgency=medium",
    ],
)
def test_hard_look_alikes_stay_as_written(text):
    assert builtin_masker().mask(text).text == text


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Reset: https://acme.example/r?token=8f14e45fceea167a5a36dedd4bea2543", "secret_token"),
        ("GET /api/orders?page=2&api_key=abcd1234efgh5678ijkl HTTP/1.1", "api_key"),
        ("jdbc:mysql://db.example.com:3306/shop?user=app&password=S3cr3t!", "password"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "bearer_token"),
        ("redis://:Sup3r$ecret!@cache:6379/0 is unreachable", "url_credentials"),
        ("ПАРОЛЬ: ЗимаЗима2026", "password"),
        ("Passwort: sonnenschein", "password"),
    ],
)  # fmt: skip
def test_hard_secrets_are_masked(text, kind):
    assert builtin_masker().mask(text).findings == {kind: 1}
