"""One pipeline step at a time: when a finer quality level is taken."""

from __future__ import annotations

from screen_fakes import FakeSource

from lifebuoy.applet.screen._pipeline import Pipeline, Region


def test_a_finer_level_waits_for_a_large_change() -> None:
    source = FakeSource()
    pipeline = Pipeline(source, "h264", Region(1, 0, 0, 320, 240))
    assert pipeline.encode(pipeline.look(0.0), 3).pictures  # first picture, level 3

    # Finer is asked for, but only a small part changed: no new key frame.
    source.canvas[10:20, 10:20, :3] = 7
    small = pipeline.encode(pipeline.look(0.1), 2).pictures[0]
    assert not small.key

    # A large change: the finer level is taken, with its key frame.
    source.canvas[:, :200, :3] = 200
    large = pipeline.encode(pipeline.look(0.2), 2).pictures[0]
    assert large.key
    pipeline.close()
