"""Text from elsewhere made safe to show: no control characters, no bidi tricks.

Everything the technician, the site or the session file says is shown as
text. In a terminal, a control character could move the cursor or rewrite
what the customer sees; in any window, a bidi override could make a name
read as something else. Both are replaced with U+FFFD.
"""

from __future__ import annotations

import unicodedata

__all__ = ["shown"]

_BIDI = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_REPLACEMENT = "\ufffd"


def shown(text: str, *, single_line: bool = False) -> str:
    """``text`` with every control and bidi-control character replaced.

    Line breaks and tabs stay in multi-line text; ``single_line`` turns them
    into spaces.
    """
    out = []
    for char in text:
        if char in "\n\t":
            out.append(" " if single_line else char)
        elif char in _BIDI or unicodedata.category(char) in ("Cc", "Cs"):
            out.append(_REPLACEMENT)
        else:
            out.append(char)
    return "".join(out)
