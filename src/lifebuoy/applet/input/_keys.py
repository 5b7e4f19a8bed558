"""From what the console sends to X key symbols, and the bounds of every call.

Nothing here talks to X: a DOM ``KeyboardEvent.key`` value, a text or a
sequence name becomes key symbols (keysyms), and the numbers of mouse calls
are checked. Everything is validated before the first event is sent, so a
bad call never leaves half a word typed.

A keysym for one character is its Latin-1 code for U+0020..U+007E and
U+00A0..U+00FF (the X protocol's own numbering) and ``0x01000000 + code
point`` for every other character (the Unicode keysyms that Xlib and XKB have
understood since 2000). Named keys come from a table.
"""

from __future__ import annotations

import unicodedata

from ._errors import UnknownKey, UnknownSequence

MAX_KEY_CHARS = 32
MAX_TEXT_CHARS = 1000
MAX_WHEEL_NOTCHES = 20
BUTTONS = (1, 2, 3)

SHIFT_L = 0xFFE1
SHIFT_R = 0xFFE2
CONTROL_L = 0xFFE3
ALT_L = 0xFFE9
SUPER_L = 0xFFEB
LEVEL3_SHIFT = 0xFE03
RETURN = 0xFF0D
TAB = 0xFF09
ESCAPE = 0xFF1B
DELETE = 0xFFFF
PRINT = 0xFF61
F1 = 0xFFBE
EURO_SIGN = 0x20AC
UNICODE_OFFSET = 0x01000000

NAMED_KEYS: dict[str, int] = {
    # Editing and whitespace.
    "Enter": RETURN,
    "Tab": TAB,
    "Backspace": 0xFF08,
    "Delete": DELETE,
    "Insert": 0xFF63,
    "Escape": ESCAPE,
    "Clear": 0xFF0B,
    # Navigation.
    "ArrowLeft": 0xFF51,
    "ArrowUp": 0xFF52,
    "ArrowRight": 0xFF53,
    "ArrowDown": 0xFF54,
    "Home": 0xFF50,
    "End": 0xFF57,
    "PageUp": 0xFF55,
    "PageDown": 0xFF56,
    # Modifiers and locks; DOM does not say which side, the left one is used.
    "Shift": SHIFT_L,
    "Control": CONTROL_L,
    "Alt": ALT_L,
    "AltGraph": LEVEL3_SHIFT,
    "Meta": SUPER_L,
    "Super": SUPER_L,
    "OS": SUPER_L,
    "Hyper": 0xFFED,
    "CapsLock": 0xFFE5,
    "NumLock": 0xFF7F,
    "ScrollLock": 0xFF14,
    # Everything else on a PC keyboard.
    "Pause": 0xFF13,
    "PrintScreen": PRINT,
    "ContextMenu": 0xFF67,
    "Compose": 0xFF20,
    "Help": 0xFF6A,
    "Select": 0xFF60,
    "Cancel": 0xFF69,
    "Find": 0xFF68,
    "Undo": 0xFF65,
    "Redo": 0xFF66,
    # Multimedia keys (the XF86 keysyms).
    "AudioVolumeDown": 0x1008FF11,
    "AudioVolumeMute": 0x1008FF12,
    "AudioVolumeUp": 0x1008FF13,
    "MediaPlayPause": 0x1008FF14,
    "MediaStop": 0x1008FF15,
    "MediaTrackPrevious": 0x1008FF16,
    "MediaTrackNext": 0x1008FF17,
    "BrowserHome": 0x1008FF18,
    "BrowserBack": 0x1008FF26,
    "BrowserForward": 0x1008FF27,
    "BrowserRefresh": 0x1008FF29,
}
NAMED_KEYS.update({f"F{n}": F1 + n - 1 for n in range(1, 25)})

SEQUENCE_KEYS: dict[str, tuple[int, ...]] = {
    "ctrl-alt-del": (CONTROL_L, ALT_L, DELETE),
    "alt-tab": (ALT_L, TAB),
    "alt-f4": (ALT_L, F1 + 3),
    "super": (SUPER_L,),
    "ctrl-esc": (CONTROL_L, ESCAPE),
    "print-screen": (PRINT,),
}
SEQUENCES: frozenset[str] = frozenset(SEQUENCE_KEYS)

# Text controls that are typed as keys; any other control character is refused.
_TEXT_CONTROLS = {"\n": RETURN, "\t": TAB}


def char_keysym(char: str) -> int:
    """The keysym that types ``char`` (one code point, not a control)."""
    code = ord(char)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    return UNICODE_OFFSET + code


def keysym_char(keysym: int) -> str | None:
    """The character a keysym types, for the Latin-1 and Unicode keysyms."""
    if 0x20 <= keysym <= 0x7E or 0xA0 <= keysym <= 0xFF:
        return chr(keysym)
    if UNICODE_OFFSET + 0x100 <= keysym <= UNICODE_OFFSET + 0x10FFFF:
        return chr(keysym - UNICODE_OFFSET)
    if keysym == EURO_SIGN:
        return "€"
    return None


def same_symbol(keysym: int) -> tuple[int, ...]:
    """``keysym`` and the older keysyms that type the same character."""
    if keysym == UNICODE_OFFSET + EURO_SIGN:
        return (keysym, EURO_SIGN)
    return (keysym,)


def key_keysym(key: object) -> int:
    """The keysym of a DOM key value; ``UnknownKey`` when it has none."""
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_CHARS:
        raise UnknownKey(f"a key is a DOM key value of 1 to {MAX_KEY_CHARS} chars")
    if key in NAMED_KEYS:
        return NAMED_KEYS[key]
    char = unicodedata.normalize("NFC", key)
    if len(char) != 1 or not _typeable(char):
        raise UnknownKey(f"the key {key!r} has no key symbol")
    return char_keysym(char)


def text_keysyms(text: object) -> list[int]:
    """The keysyms that type ``text``; ``ValueError`` for what cannot be typed."""
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"text is longer than {MAX_TEXT_CHARS} characters")

    # Line ends of any convention become one Enter each.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    keysyms = []
    for char in unicodedata.normalize("NFC", text):
        if char in _TEXT_CONTROLS:
            keysyms.append(_TEXT_CONTROLS[char])
        elif _typeable(char):
            keysyms.append(char_keysym(char))
        else:
            raise ValueError(f"text holds U+{ord(char):04X}, which cannot be typed")
    return keysyms


def sequence_keysyms(name: object) -> tuple[int, ...]:
    """The keys of a sequence, pressed in order and released in reverse."""
    if not isinstance(name, str) or name not in SEQUENCE_KEYS:
        raise UnknownSequence(f"unknown sequence {name!r}")
    return SEQUENCE_KEYS[name]


def check_int(value: object, what: str) -> int:
    """``value`` if it is an int (not a bool); ``ValueError`` naming ``what``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} must be an integer, not {type(value).__name__}")
    return value


def check_button(button: object) -> int:
    """A mouse button: 1 left, 2 middle, 3 right."""
    value = check_int(button, "button")
    if value not in BUTTONS:
        raise ValueError("button must be 1 (left), 2 (middle) or 3 (right)")
    return value


def check_notches(notches: object, what: str) -> int:
    """Wheel notches, at most ``MAX_WHEEL_NOTCHES`` either way."""
    value = check_int(notches, what)
    if abs(value) > MAX_WHEEL_NOTCHES:
        raise ValueError(f"{what} is at most {MAX_WHEEL_NOTCHES} notches either way")
    return value


def _typeable(char: str) -> bool:
    # Controls (Cc), lone surrogates (Cs) and unassigned code points (Cn)
    # have no key to type them.
    return unicodedata.category(char) not in ("Cc", "Cs", "Cn")
