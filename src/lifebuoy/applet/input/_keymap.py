"""Where a keysym is on the customer's keyboard map, and spare key codes.

The X server's core keyboard map gives each key code a row of keysyms. With
XKB (every current server) the columns are: 0 the plain symbol, 1 with Shift,
2 and 3 the same for a second group, 4 with ISO_Level3_Shift (AltGr) and 5
with AltGr and Shift. ``Keymap.find`` looks for a keysym in columns 0, 1, 4, 5
in that order, so the stroke needing the fewest modifiers wins, and says
which modifiers it needs. A letter key (lower case in column 0, its upper case
in column 1) is marked ``cased``: with Caps Lock on, Shift inverts.

A character the map lacks is typed through a spare key code: one whose row
was empty when the map was read. ``Spares`` lends them. A lent key code keeps
its symbol until it is needed for another one, because a client looks a key
code up when it handles the key press, which may come after our next request:
changing a key code back at once could make the customer's program see the
wrong character. Lending out a key code that was used moments ago therefore
waits ``SETTLE_S`` first; the caller does the waiting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ._keys import LEVEL3_SHIFT, SHIFT_L, SHIFT_R, keysym_char, same_symbol

SETTLE_S = 0.05
"""Time a client is given to look up a key code before it is mapped anew."""

_PLAIN, _SHIFTED, _LEVEL3, _LEVEL3_SHIFTED = 0, 1, 4, 5


@dataclass(frozen=True)
class Stroke:
    """How to type one keysym."""

    keycode: int
    """The key to press."""
    shift: bool = False
    """Shift must be down (before Caps Lock is taken into account)."""
    level3: bool = False
    """ISO_Level3_Shift (AltGr) must be down."""
    cased: bool = False
    """A letter key: Caps Lock inverts the need for Shift."""


class Keymap:
    """A copy of the core keyboard map, rows from ``first_keycode`` on."""

    def __init__(self, first_keycode: int, rows: Iterable[Sequence[int]]) -> None:
        self.first_keycode = first_keycode
        self._rows = [tuple(row) for row in rows]
        self.shift_keycode = self._keycode_of(SHIFT_L) or self._keycode_of(SHIFT_R)
        self.level3_keycode = self._keycode_of(LEVEL3_SHIFT)

    def row(self, keycode: int) -> tuple[int, ...]:
        """The keysyms of ``keycode``; empty outside the map."""
        index = keycode - self.first_keycode
        return self._rows[index] if 0 <= index < len(self._rows) else ()

    def set_row(self, keycode: int, row: Sequence[int]) -> None:
        """Note a change made to the server's map."""
        self._rows[keycode - self.first_keycode] = tuple(row)

    def empty_keycodes(self) -> list[int]:
        """Key codes with no symbol at all: the spares."""
        return [
            self.first_keycode + index
            for index, row in enumerate(self._rows)
            if not any(row)
        ]

    def find(self, keysym: int) -> Stroke | None:
        """The stroke with the fewest modifiers that types ``keysym``."""
        wanted = set(same_symbol(keysym))
        for column in self._usable_columns():
            for index, row in enumerate(self._rows):
                if len(row) > column and row[column] in wanted:
                    return Stroke(
                        keycode=self.first_keycode + index,
                        shift=column in (_SHIFTED, _LEVEL3_SHIFTED),
                        level3=column in (_LEVEL3, _LEVEL3_SHIFTED),
                        cased=_is_letter_key(row),
                    )
        return None

    def _usable_columns(self) -> list[int]:
        columns = [_PLAIN]
        if self.shift_keycode is not None:
            columns.append(_SHIFTED)
        if self.level3_keycode is not None:
            columns.append(_LEVEL3)
            if self.shift_keycode is not None:
                columns.append(_LEVEL3_SHIFTED)
        return columns

    def _keycode_of(self, keysym: int) -> int | None:
        for index, row in enumerate(self._rows):
            if row and row[0] == keysym:
                return self.first_keycode + index
        return None


class Spares:
    """Spare key codes lent to keysyms, the least recently used given up first."""

    def __init__(self, keycodes: Iterable[int]) -> None:
        self._free = list(keycodes)
        self._lent: dict[int, int] = {}
        """keysym -> key code, least recently used first."""
        self._used_at: dict[int, float] = {}
        """key code -> when it was last typed (monotonic seconds)."""

    def __len__(self) -> int:
        return len(self._free) + len(self._lent)

    def lent(self) -> dict[int, int]:
        """key code -> keysym of every key code lent out."""
        return {keycode: keysym for keysym, keycode in self._lent.items()}

    def lookup(self, keysym: int, now: float) -> int | None:
        """The key code already lent to ``keysym``, marked as just used."""
        keycode = self._lent.pop(keysym, None)
        if keycode is not None:
            self._lent[keysym] = keycode
            self._used_at[keycode] = now
        return keycode

    def lend(
        self, keysym: int, now: float, busy: Iterable[int] = ()
    ) -> tuple[int, float] | None:
        """A key code for ``keysym`` and how long to wait before mapping it.

        ``busy`` key codes (held down) are not taken back. ``None`` when every
        key code is busy or there are none.
        """
        held = set(busy)
        if self._free:
            keycode, wait = self._free.pop(0), 0.0
        else:
            oldest = next((k for k, c in self._lent.items() if c not in held), None)
            if oldest is None:
                return None
            keycode = self._lent.pop(oldest)
            wait = max(0.0, self._used_at[keycode] + SETTLE_S - now)
        self._lent[keysym] = keycode
        self._used_at[keycode] = now + wait
        return keycode, wait

    def keycodes(self) -> list[int]:
        """Every key code this pool may lend, free or lent."""
        return [*self._free, *self._lent.values()]

    def forget(self, keycode: int) -> None:
        """Someone else mapped ``keycode``: it is no longer ours to lend."""
        self._free = [k for k in self._free if k != keycode]
        self._lent = {s: k for s, k in self._lent.items() if k != keycode}
        self._used_at.pop(keycode, None)

    def give_back(self, keycode: int) -> None:
        """``keycode`` lost its symbol (a new keyboard map): free to lend again."""
        self.forget(keycode)
        self._free.append(keycode)

    def take_back(self, now: float) -> tuple[list[int], float]:
        """Every lent key code, now free again, and how long to wait first."""
        keycodes = list(self._lent.values())
        last = max((self._used_at[k] for k in keycodes), default=now - SETTLE_S)
        self._free.extend(keycodes)
        self._lent.clear()
        return keycodes, max(0.0, last + SETTLE_S - now)


def _is_letter_key(row: Sequence[int]) -> bool:
    if len(row) < 2 or row[0] == row[1]:
        return False
    lower, upper = keysym_char(row[0]), keysym_char(row[1])
    return (
        lower is not None
        and upper is not None
        and lower != upper
        and lower.upper() == upper
        and upper.lower() == lower
    )
