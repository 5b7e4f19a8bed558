"""The X11 input sink on a real X server (Xvfb) driving the known screen of
``screen_app.py``: what the sink sends is what the program sees."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import screen_app
import xscreen

from lifebuoy.applet.input import InputSink, InputUnavailable, open_input

pytestmark = pytest.mark.skipif(not xscreen.available(), reason="needs Xvfb and libX11")

APP = Path(screen_app.__file__)
State = dict[str, Any]


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with xscreen.virtual_screen(*screen_app.SCREEN) as name:
        yield name


@pytest.fixture
def state_file(display: str, tmp_path: Path) -> Iterator[Path]:
    """The screen app running on ``display``; its state file once it is up."""
    state = tmp_path / "state.json"
    app = subprocess.Popen(
        [sys.executable, str(APP), "--state", str(state)],
        env={"DISPLAY": display, "PATH": "/usr/bin:/bin"},
    )
    try:
        wait_for(state, lambda s: True, timeout=30)  # a busy machine starts Tk slowly
        yield state
    finally:
        app.terminate()
        app.wait(timeout=10)


@pytest.fixture
def sink(display: str) -> Iterator[InputSink]:
    sink = open_input(display)
    yield sink
    sink.close()


@pytest.fixture
def watcher(display: str) -> Iterator[Any]:
    """A second X connection that looks at the server, as the customer would."""
    from Xlib.display import Display

    connection = Display(display)
    yield connection
    connection.close()


def wait_for(state: Path, check: Callable[[State], bool], timeout: float = 10) -> State:
    """The app's state once ``check`` holds; fails with the last state seen."""
    deadline = time.monotonic() + timeout
    seen: State = {}
    while time.monotonic() < deadline:
        try:
            seen = json.loads(state.read_text(encoding="utf-8"))
        except FileNotFoundError:
            pass
        else:
            if check(seen):
                return seen
        time.sleep(0.05)
    pytest.fail(f"the screen app never got there; last state: {seen}")


def tap(sink: InputSink, key: str) -> None:
    sink.key(key, True)
    sink.key(key, False)


def keys_down(watcher: Any) -> list[int]:
    keymap = watcher.query_keymap()
    return [
        8 * i + bit
        for i, byte in enumerate(keymap)
        for bit in range(8)
        if byte >> bit & 1
    ]


def test_a_click_over_the_button_presses_it(sink: InputSink, state_file: Path) -> None:
    sink.move(*screen_app.BUTTON.centre)
    sink.button(1, True)
    sink.button(1, False)
    wait_for(state_file, lambda s: s["pressed"] == 1)

    # A click beside it does nothing.
    sink.move(screen_app.BUTTON.x - 20, screen_app.BUTTON.y - 20)
    sink.button(1, True)
    sink.button(1, False)
    sink.move(*screen_app.BUTTON.centre)
    sink.button(1, True)
    sink.button(1, False)
    assert wait_for(state_file, lambda s: s["pressed"] >= 2)["pressed"] == 2


def test_text_types_characters_the_layout_lacks(
    sink: InputSink, state_file: Path
) -> None:
    sink.text("Héllo €ñ")
    wait_for(state_file, lambda s: s["text"] == "Héllo €ñ")
    sink.text(" Grüße, жук! 10 > 9")
    wait_for(state_file, lambda s: s["text"] == "Héllo €ñ Grüße, жук! 10 > 9")


def test_keys_type_letters_shifted_letters_and_backspace(
    sink: InputSink, state_file: Path
) -> None:
    tap(sink, "a")
    sink.key("Shift", True)
    tap(sink, "B")
    sink.key("Shift", False)
    tap(sink, "C")  # Shift is pressed for it: no one holds it
    tap(sink, "é")
    tap(sink, "d")
    tap(sink, "Backspace")
    wait_for(state_file, lambda s: s["text"] == "aBCé")


def test_caps_lock_on_the_customer_side_does_not_change_the_case(
    sink: InputSink, state_file: Path
) -> None:
    tap(sink, "CapsLock")
    sink.text("aB")
    tap(sink, "x")
    tap(sink, "CapsLock")
    wait_for(state_file, lambda s: s["text"] == "aBx")


def test_ctrl_alt_del_sends_the_three_keys(sink: InputSink, state_file: Path) -> None:
    sink.sequence("ctrl-alt-del")
    state = wait_for(state_file, lambda s: "-Control_L" in s["keys"])
    assert state["keys"] == [
        "+Control_L",
        "+Alt_L",
        "+Delete",
        "-Delete",
        "-Alt_L",
        "-Control_L",
    ]


def test_release_all_leaves_no_key_or_button_down(
    sink: InputSink, state_file: Path, watcher: Any
) -> None:
    sink.move(10, 1000)
    sink.key("Control", True)
    sink.key("Shift", True)
    sink.key("ж", True)
    sink.button(3, True)
    watcher.sync()
    assert len(keys_down(watcher)) == 3
    assert watcher.screen().root.query_pointer().mask & (1 << 10)  # Button3Mask

    sink.release_all()
    assert keys_down(watcher) == []
    assert watcher.screen().root.query_pointer().mask & 0xFF00 == 0


def test_close_restores_the_key_codes_it_mapped(display: str, watcher: Any) -> None:
    first = watcher.display.info.min_keycode
    count = watcher.display.info.max_keycode - first + 1
    before = [list(row) for row in watcher.get_keyboard_mapping(first, count)]

    sink = open_input(display)
    try:
        sink.text("€ñжŁ")  # none of them is on Xvfb's US layout
        sink.key("ß", True)
        during = [list(row) for row in watcher.get_keyboard_mapping(first, count)]
        assert sum(a != b for a, b in zip(before, during, strict=True)) == 5
    finally:
        sink.close()
    after = [list(row) for row in watcher.get_keyboard_mapping(first, count)]
    assert after == before
    assert keys_down(watcher) == []
    with pytest.raises(InputUnavailable):
        sink.text("x")


def test_bad_arguments_are_refused_before_anything_is_sent(
    sink: InputSink, state_file: Path
) -> None:
    with pytest.raises(ValueError, match="button"):
        sink.button(4, True)
    with pytest.raises(ValueError, match="at most 20"):
        sink.wheel(0, 21)
    with pytest.raises(ValueError, match="cannot be typed"):
        sink.text("ab\x1b")
    sink.move(-50, 99999)  # clamped into the screen, not refused
    sink.text("ok")
    assert wait_for(state_file, lambda s: s["text"] == "ok")["text"] == "ok"


def test_no_display_is_said_in_words() -> None:
    with pytest.raises(InputUnavailable, match="desktop"):
        open_input(":4242")
