"""Input on the customer's machine: the technician's mouse and keys.

The applet turns the console's ``mouse.*``, ``key``, ``text``, ``sequence``
and ``release`` messages (docs/screen.md) into calls on an ``InputSink``,
which ``open_input`` gives for the platform. Keys arrive as DOM
``KeyboardEvent.key`` values, that is as symbols (``a``, ``é``, ``Enter``),
never as positions, so what the technician types appears on the customer's
screen whatever either keyboard layout is.

On Linux the sink is X11 XTEST (``_x11``): symbols become X keysyms
(``_keys``), are found on the customer's keyboard map with the modifiers they
need (``_keymap``), and a symbol the map lacks is typed through a spare key
code mapped to it for the moment. Windows and macOS sinks come later;
``open_input`` says so in words there.

Exceptions::

    InputError              root
    ├── InputUnavailable    no desktop to control; str() is for the customer
    ├── UnknownKey          (also ValueError) a key value without a symbol
    └── UnknownSequence     (also ValueError) not one of SEQUENCES

Other bad arguments (a button 9, 50 wheel notches, 2000 characters of text)
raise a plain ``ValueError`` before any event is sent.
"""

from __future__ import annotations

import os
import sys

from ._errors import InputError, InputUnavailable, UnknownKey, UnknownSequence
from ._keys import SEQUENCES
from ._sink import InputSink

__all__ = [
    "SEQUENCES",
    "InputError",
    "InputSink",
    "InputUnavailable",
    "UnknownKey",
    "UnknownSequence",
    "open_input",
]


def open_input(display: str | None = None) -> InputSink:
    """The input sink of this platform, on X ``display`` (``$DISPLAY``)."""
    if not sys.platform.startswith("linux"):
        raise InputUnavailable("Remote control is not available on this system yet.")
    if display is None and not os.environ.get("DISPLAY"):
        raise InputUnavailable(
            "Remote control needs a graphical desktop, and none was found."
        )

    # python-xlib is imported only here, where it is a dependency.
    from ._x11 import open_x11

    return open_x11(display)
