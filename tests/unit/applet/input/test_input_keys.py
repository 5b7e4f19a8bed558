"""DOM key values, texts and sequences to X keysyms, and the bounds of every
call, without an X server."""

from __future__ import annotations

import pytest

from lifebuoy.applet.input import SEQUENCES, InputError, UnknownKey, UnknownSequence
from lifebuoy.applet.input._keys import (
    check_button,
    check_int,
    check_notches,
    key_keysym,
    keysym_char,
    sequence_keysyms,
    text_keysyms,
)


@pytest.mark.parametrize(
    ("key", "keysym"),
    [
        ("a", 0x61),
        ("A", 0x41),
        (" ", 0x20),
        ("é", 0xE9),
        ("ÿ", 0xFF),
        ("€", 0x010020AC),
        ("ł", 0x01000142),
        ("ж", 0x01000436),
        ("Enter", 0xFF0D),
        ("Backspace", 0xFF08),
        ("Tab", 0xFF09),
        ("Escape", 0xFF1B),
        ("Delete", 0xFFFF),
        ("Home", 0xFF50),
        ("PageDown", 0xFF56),
        ("ArrowLeft", 0xFF51),
        ("Shift", 0xFFE1),
        ("Control", 0xFFE3),
        ("Alt", 0xFFE9),
        ("AltGraph", 0xFE03),
        ("Meta", 0xFFEB),
        ("F1", 0xFFBE),
        ("F5", 0xFFC2),
        ("F12", 0xFFC9),
    ],
)
def test_key_values_become_their_keysyms(key: str, keysym: int) -> None:
    assert key_keysym(key) == keysym


def test_a_decomposed_key_value_is_composed_first() -> None:
    assert key_keysym("e\u0301") == 0xE9


@pytest.mark.parametrize(
    "key", ["Dead", "Unidentified", "Process", "F99", "ab", "", "\x07", "\ud800", 5]
)
def test_key_values_without_a_symbol_are_unknown(key: object) -> None:
    with pytest.raises(UnknownKey):
        key_keysym(key)


def test_unknown_key_is_a_value_error_of_the_package() -> None:
    with pytest.raises(ValueError, match="no key symbol"):
        key_keysym("Unidentified")
    assert issubclass(UnknownKey, InputError)


def test_a_key_value_longer_than_32_characters_is_refused() -> None:
    with pytest.raises(UnknownKey, match="32"):
        key_keysym("x" * 33)


def test_text_becomes_one_keysym_a_character() -> None:
    assert text_keysyms("Grüße ñ €") == [
        0x47,
        0x72,
        0xFC,
        0xDF,
        0x65,
        0x20,
        0xF1,
        0x20,
        0x010020AC,
    ]


def test_line_ends_of_any_convention_are_one_enter_each() -> None:
    enter, tab = 0xFF0D, 0xFF09
    assert text_keysyms("a\r\nb\rc\nd\te") == [
        0x61,
        enter,
        0x62,
        enter,
        0x63,
        enter,
        0x64,
        tab,
        0x65,
    ]


@pytest.mark.parametrize("text", ["bell\x07", "escape\x1b[2J", "\ud83d", "\x7f"])
def test_text_with_control_characters_is_refused_whole(text: str) -> None:
    with pytest.raises(ValueError, match="cannot be typed"):
        text_keysyms(text)


def test_text_is_at_most_1000_characters() -> None:
    assert len(text_keysyms("x" * 1000)) == 1000
    with pytest.raises(ValueError, match="1000"):
        text_keysyms("x" * 1001)
    with pytest.raises(ValueError, match="string"):
        text_keysyms(b"bytes")


def test_every_sequence_has_its_keys() -> None:
    assert {
        "ctrl-alt-del",
        "alt-tab",
        "alt-f4",
        "super",
        "ctrl-esc",
        "print-screen",
    } == SEQUENCES
    assert sequence_keysyms("ctrl-alt-del") == (0xFFE3, 0xFFE9, 0xFFFF)
    assert sequence_keysyms("alt-f4") == (0xFFE9, 0xFFC1)
    for name in SEQUENCES:
        assert sequence_keysyms(name)


@pytest.mark.parametrize("name", ["reboot", "CTRL-ALT-DEL", "", None])
def test_unknown_sequences_are_refused(name: object) -> None:
    with pytest.raises(UnknownSequence):
        sequence_keysyms(name)


def test_buttons_are_one_to_three() -> None:
    assert [check_button(b) for b in (1, 2, 3)] == [1, 2, 3]
    for bad in (0, 4, -1, 1.0, True, "1"):
        with pytest.raises(ValueError, match="button"):
            check_button(bad)


def test_wheel_notches_are_bounded() -> None:
    assert check_notches(-20, "dy") == -20
    assert check_notches(20, "dx") == 20
    with pytest.raises(ValueError, match="dy is at most 20"):
        check_notches(21, "dy")
    with pytest.raises(ValueError, match="integer"):
        check_notches(1.5, "dx")


def test_coordinates_must_be_integers() -> None:
    assert check_int(-5, "x") == -5
    for bad in (True, 1.0, "3", None):
        with pytest.raises(ValueError, match="x must be an integer"):
            check_int(bad, "x")


def test_keysyms_tell_their_characters() -> None:
    assert keysym_char(0x61) == "a"
    assert keysym_char(0xE9) == "é"
    assert keysym_char(0x010020AC) == "€"
    assert keysym_char(0x20AC) == "€"
    assert keysym_char(0xFF0D) is None
