"""Quoted history and signatures cut from replies shaped as real mail clients send them
(corpus/*.eml: Gmail, Outlook, Apple Mail, Thunderbird; English, German, Portuguese, Russian)."""

from pathlib import Path

import pytest

from tickets.mail import parse, quotes

CORPUS = Path(__file__).parent / "corpus"

EXPECTED = {
    "gmail_en.eml": "That fixed it, thank you!\n\nJane",
    "outlook_en.eml": "Hi,\n\nIt still drops every 20 minutes. Logs attached.\n\nRegards,\n"
    "John Smith\nIT Manager | Corp Inc.",
    "apple_en.eml": "Yes, the reset link worked.",
    "thunderbird_de.eml": "Hallo,\n\nder Drucker funktioniert wieder. Vielen Dank!\n\n"
    "Viele Grüße\nHans Becker",
    "outlook_de.eml": "Guten Tag,\n\nder Zugang geht jetzt. Danke für die schnelle Hilfe.",
    "gmail_pt.eml": "Obrigado, já está funcionando.",
    "outlook_pt.eml": "Bom dia,\n\na fatura correta chegou. Podem fechar o chamado.\n\n"
    "Atenciosamente,\nMaria",
    "gmail_ru.eml": "Спасибо, всё работает.",
    "thunderbird_ru.eml": "Добрый день!\n\nДоступ появился, спасибо.",
    "outlook_ru.eml": "Проблема осталась, прикладываю журнал.",
}


def test_the_corpus_is_complete():
    assert sorted(p.name for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_reply_keeps_only_what_the_customer_wrote_this_time(name):
    parsed = parse.parse((CORPUS / name).read_bytes())

    assert not parsed.unreadable and parsed.sender
    assert quotes.strip(parsed.text) == EXPECTED[name]


def test_a_message_without_quote_is_kept_whole():
    text = "Line one.\n\nLine two: with a colon:\nand more."
    assert quotes.strip(text) == text


def test_a_reply_that_is_all_quote_is_kept_rather_than_emptied():
    text = "> only a quote\n> nothing else"
    assert quotes.strip(text) == text
