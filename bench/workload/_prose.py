"""Deterministic text for the workload's windows: the same seed gives the same
document on every machine and every run."""

from __future__ import annotations

import random
import textwrap

__all__ = ["EDITOR_START", "TYPED_TEXT", "document"]

_VOCABULARY = (
    "the applet server screen window session customer technician printer driver "
    "network cable update restart account password mailbox folder backup disk "
    "setting profile invoice report queue ticket office monitor keyboard mouse "
    "install remove check open close save print error warning message version "
    "before after again quickly slowly carefully still never always often then "
    "because while until when where which that this those these every each some "
    "a an of to in on for with from by at as is are was were be been has have"
)
_WORDS = _VOCABULARY.split()

EDITOR_START = (
    "Ticket 4711 - printer on the second floor\n"
    "Customer: front desk, Windows and Linux machines\n"
    "Steps so far:\n"
    "  1. Restarted the print spooler\n"
    "  2. Checked the queue: three jobs waiting\n"
    "\n"
)
"""What the editor holds before the typing phase."""

TYPED_TEXT = (
    "The driver was out of date, so I updated it and printed a test page. All sorted."
)
"""The 80 characters typed during the minute (4 a second for 20 s)."""


def document(lines: int = 6000, width: int = 96, seed: int = 14) -> str:
    """A long document of prose in numbered sections, wrapped to ``width``."""
    rng = random.Random(seed)
    out: list[str] = []
    section = 0
    while len(out) < lines:
        section += 1
        out += [f"Section {section}. {_sentence(rng).rstrip('.').title()}", ""]
        for _ in range(rng.randint(2, 4)):
            paragraph = " ".join(_sentence(rng) for _ in range(rng.randint(3, 7)))
            out += [*textwrap.wrap(paragraph, width), ""]
    return "\n".join(out[:lines]) + "\n"


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(6, 16))]
    return " ".join(words).capitalize() + "."
