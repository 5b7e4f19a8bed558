"""The TLS layer's plaintext gatherer: fresh memory, handed on read-only."""

from __future__ import annotations

import os

from lifebuoy.tls._layer import _Plaintext


def test_plaintext_fills_one_buffer_and_hands_it_on_read_only() -> None:
    plaintext = _Plaintext(5000)
    room = plaintext.room()
    assert len(room) == 5000  # the plaintext of what was read is shorter
    data = os.urandom(700)
    room[:700] = data
    plaintext.filled(700)
    room = plaintext.room()
    room[:5] = b"hello"
    plaintext.filled(5)
    (view,) = plaintext.done()
    assert view.readonly
    assert bytes(view) == data + b"hello"


def test_plaintext_beyond_the_first_buffer_goes_into_another() -> None:
    # A record begun in an earlier read ends in this one: its plaintext can
    # exceed the ciphertext just read.
    plaintext = _Plaintext(10)
    first = os.urandom(_Plaintext.SMALLEST)
    room = plaintext.room()
    assert len(room) == _Plaintext.SMALLEST
    room[:] = first
    plaintext.filled(len(first))
    room = plaintext.room()  # the first is full: a new one, for a record
    assert len(room) == _Plaintext.SPARE
    room[:3] = b"end"
    plaintext.filled(3)
    views = plaintext.done()
    assert [bytes(view) for view in views] == [first, b"end"]
    assert all(view.readonly for view in views)


def test_nothing_decrypted_hands_nothing_on() -> None:
    plaintext = _Plaintext(100)
    plaintext.room()
    assert plaintext.done() == []
