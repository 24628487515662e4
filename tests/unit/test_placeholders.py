"""Placeholders: one stable, indexed token per distinct value across a whole proposed-cases file."""

from __future__ import annotations

from promptops.observe.flywheel.placeholders import Placeholders


def test_the_same_value_gets_the_same_token_and_another_value_the_next_index() -> None:
    table = Placeholders(secrets=())
    first = table.text("from a@example.com and b@example.com")
    second = table.value({"m": ["again a@example.com", {"deep": "b@example.com"}], "n": 3})
    assert first == "from [EMAIL_1] and [EMAIL_2]"
    assert second == {"m": ["again [EMAIL_1]", {"deep": "[EMAIL_2]"}], "n": 3}
    assert table.replaced == {"EMAIL": 2}


def test_kinds_of_personal_data() -> None:
    table = Placeholders(secrets=())
    text = table.text(
        "card 4111 1111 1111 1111, call +44 20 7946 0958, from 192.168.1.20, IBAN DE89 3704 0044 0532 0130 00"
    )
    assert text == "card [CARD_1], call [PHONE_1], from [IP_1], IBAN [IBAN_1]"


def test_order_numbers_and_long_ids_are_not_cards_or_phones() -> None:
    table = Placeholders(secrets=())
    text = "ORD-12345, tracking 1234567890123 (fails Luhn), 2026-12-01"
    assert table.text(text) == text
    assert table.replaced == {}


def test_secrets_use_the_shapes_and_values_of_promptops_secrets() -> None:
    table = Placeholders(secrets=("hunter2-very-secret",))
    out = table.text("pw hunter2-very-secret key sk-abcdefghijklmnopqrstuvwx and again hunter2-very-secret")
    assert out == "pw [SECRET_1] key [SECRET_2] and again [SECRET_1]"


def test_phone_shapes() -> None:
    table = Placeholders(secrets=())
    assert (
        table.text("+1 415 555 0100 or (415) 555-0199 or +4930123456")
        == "[PHONE_1] or [PHONE_2] or [PHONE_3]"
    )
