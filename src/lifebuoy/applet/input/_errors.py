"""Errors of the input package; the tree is drawn in the package docstring."""

from __future__ import annotations


class InputError(Exception):
    """Root of everything this package raises on purpose."""


class InputUnavailable(InputError):
    """Remote control cannot work here; ``str()`` is a sentence for the customer."""


class UnknownKey(InputError, ValueError):
    """A DOM key value that has no key symbol (``Dead``, ``Unidentified``, ...)."""


class UnknownSequence(InputError, ValueError):
    """A sequence name outside ``SEQUENCES``."""
