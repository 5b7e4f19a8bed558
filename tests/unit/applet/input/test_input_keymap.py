"""Finding keysyms on a keyboard map, and lending spare key codes, on a small
made-up map (the columns as XKB fills the core map)."""

from __future__ import annotations

import pytest

from lifebuoy.applet.input._keymap import SETTLE_S, Keymap, Spares, Stroke

NONE = 0
# key code: plain, shift, group 2 plain, group 2 shift, AltGr, AltGr+shift
ROWS = {
    10: (0x31, 0x21, 0x31, 0x21, NONE, NONE),  # 1 !
    11: (NONE,) * 6,  # spare
    12: (0xFFE1, NONE, 0xFFE1, NONE, NONE, NONE),  # Shift_L
    13: (0x65, 0x45, 0x65, 0x45, 0x20AC, NONE),  # e E, AltGr: EuroSign
    14: (0x61, 0x41, 0x61, 0x41, 0xE6, 0xC6),  # a A, AltGr: æ Æ
    15: (0xFE03, NONE, 0xFE03, NONE, NONE, NONE),  # ISO_Level3_Shift
    16: (0xFF08, 0xFF08, 0xFF08, 0xFF08, NONE, NONE),  # BackSpace
    17: (NONE,) * 6,  # spare
}


def keymap(without: tuple[int, ...] = ()) -> Keymap:
    rows = [(NONE,) * 6 if k in without else ROWS[k] for k in sorted(ROWS)]
    return Keymap(10, rows)


def test_the_stroke_with_fewest_modifiers_is_found() -> None:
    found = keymap()
    assert found.find(0x31) == Stroke(10)
    assert found.find(0x21) == Stroke(10, shift=True)
    assert found.find(0x61) == Stroke(14, cased=True)
    assert found.find(0x41) == Stroke(14, shift=True, cased=True)
    assert found.find(0xE6) == Stroke(14, level3=True, cased=True)
    assert found.find(0xC6) == Stroke(14, shift=True, level3=True, cased=True)
    assert found.find(0xFF08) == Stroke(16)


def test_the_unicode_euro_finds_the_older_euro_sign() -> None:
    assert keymap().find(0x010020AC) == Stroke(13, level3=True, cased=True)


def test_symbols_the_map_lacks_are_not_found() -> None:
    assert keymap().find(0xE9) is None
    assert keymap().find(0x01000436) is None


def test_shifted_columns_are_unusable_without_a_shift_key() -> None:
    assert keymap(without=(12,)).find(0x21) is None
    assert keymap(without=(15,)).find(0xE6) is None
    assert keymap(without=(15,)).find(0x61) == Stroke(14, cased=True)


def test_empty_rows_are_the_spares() -> None:
    assert keymap().empty_keycodes() == [11, 17]
    assert keymap().shift_keycode == 12
    assert keymap().level3_keycode == 15


def test_spares_are_lent_then_the_least_recently_used_is_taken_back() -> None:
    spares = Spares([11, 17])
    assert spares.lend(0xE9, now=0.0) == (11, 0.0)
    assert spares.lend(0xF1, now=0.0) == (17, 0.0)
    assert spares.lookup(0xE9, now=1.0) == 11

    # ñ was used longer ago than é: its key code goes to ü, at once.
    assert spares.lend(0xFC, now=2.0) == (17, 0.0)
    assert spares.lent() == {11: 0xE9, 17: 0xFC}
    assert spares.lookup(0xF1, now=2.0) is None


def test_a_key_code_used_moments_ago_is_lent_after_a_wait() -> None:
    spares = Spares([11])
    spares.lend(0xE9, now=10.0)
    keycode, wait = spares.lend(0xF1, now=10.01) or (0, 0.0)
    assert keycode == 11
    assert wait == pytest.approx(SETTLE_S - 0.01)


def test_held_key_codes_are_not_taken_back() -> None:
    spares = Spares([11, 17])
    spares.lend(0xE9, now=0.0)
    spares.lend(0xF1, now=1.0)
    assert spares.lend(0xFC, now=5.0, busy=[11]) == (17, 0.0)
    assert spares.lend(0xFD, now=5.0, busy=[11, 17]) is None
    assert Spares([]).lend(0xE9, now=0.0) is None


def test_taking_everything_back_waits_for_the_last_use() -> None:
    spares = Spares([11, 17])
    spares.lend(0xE9, now=0.0)
    spares.lend(0xF1, now=1.0)
    keycodes, wait = spares.take_back(now=1.0)
    assert sorted(keycodes) == [11, 17]
    assert wait == pytest.approx(SETTLE_S)
    assert spares.lent() == {}
    assert len(spares) == 2
    assert spares.take_back(now=9.0) == ([], 0.0)


def test_key_codes_someone_else_mapped_are_forgotten() -> None:
    spares = Spares([11, 17])
    spares.lend(0xE9, now=0.0)
    spares.forget(17)
    spares.give_back(11)
    assert spares.keycodes() == [11]
    assert spares.lent() == {}
