"""Channel messages from the technician are read strictly."""

from __future__ import annotations

import json

import pytest

from lifebuoy.applet import MessageError
from lifebuoy.applet._messages import (
    Chat,
    Delivered,
    End,
    Hold,
    TechnicianHello,
    Transfer,
    Unknown,
    parse,
)


def raw(**fields: object) -> bytes:
    return json.dumps(fields).encode()


def test_messages_of_every_known_type_are_read() -> None:
    assert parse(raw(t="hello", name="Taylor")) == TechnicianHello("Taylor")
    assert parse(raw(t="chat", id="a-1", text="hi", at="2026-01-01T00:00:00Z")) == (
        Chat("a-1", "hi", "2026-01-01T00:00:00Z")
    )
    assert parse(raw(t="delivered", id="a-1")) == Delivered("a-1")
    assert parse(raw(t="hold", on=False)) == Hold(False)
    assert parse(raw(t="transfer", to="Robin")) == Transfer("Robin", "")
    assert parse(raw(t="end", reason="done")) == End("done")
    assert parse(raw(t="end")) == End("")


def test_messages_of_an_unknown_type_are_returned_for_logging() -> None:
    assert parse(raw(t="screen.frame" + "x" * 100, data=1)) == Unknown(
        ("screen.frame" + "x" * 100)[:32]
    )


@pytest.mark.parametrize(
    "data",
    [
        b"[1]",
        b"42",
        b'"chat"',
        b"not json",
        b"\xff",
        b'{"text": "no type"}',
        b'{"t": 5}',
        b'{"t": "hold", "on": 1}',
        b'{"t": "hold"}',
        b'{"t": "hello"}',
        b'{"t": "hello", "name": ["x"]}',
        raw(t="hello", name="n" * 121),
        raw(t="chat", id="a", text="x" * 10_001, at="now"),
        raw(t="chat", id="a b", text="x", at="now"),
        raw(t="chat", id="", text="x", at="now"),
        raw(t="chat", id="a", text="x"),
        raw(t="delivered", id="i" * 65),
        raw(t="transfer", to="x", note="n" * 1001),
        raw(t="end", reason=None),
        raw(t="chat", id="a", text="x" * 70_000, at="now"),
        b'{"t": "hold", "on": NaN}',
        b"[" * 50_000,
    ],
)
def test_messages_that_break_the_rules_are_refused(data: bytes) -> None:
    with pytest.raises(MessageError):
        parse(data)
