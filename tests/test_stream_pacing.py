"""The push budget shared by streaming replies."""

from __future__ import annotations

import pytest

from simulator.app.stream_pacing import StreamPacer


def test_one_reply_is_pushed_at_the_minimum_interval() -> None:
    pacer = StreamPacer(min_interval_s=0.05, pushes_per_s=100)
    with pacer.streaming():
        assert pacer.active == 1
        assert pacer.interval_s() == 0.05
    assert pacer.active == 0


def test_many_replies_share_the_budget() -> None:
    pacer = StreamPacer(min_interval_s=0.05, pushes_per_s=100)
    with pacer.streaming(), pacer.streaming():
        assert pacer.interval_s() == 0.05  # two replies: well inside the budget
    blocks = [pacer.streaming() for _ in range(50)]
    for block in blocks:
        block.__enter__()
    # fifty replies at 100 pushes/s: each pushed every half second, 100 pushes/s in all
    assert pacer.interval_s() == pytest.approx(0.5)
    for block in blocks:
        block.__exit__(None, None, None)
    assert pacer.active == 0


def test_a_reply_that_fails_is_no_longer_counted() -> None:
    pacer = StreamPacer()
    with pytest.raises(RuntimeError), pacer.streaming():
        raise RuntimeError("endpoint down")
    assert pacer.active == 0


def test_the_budget_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        StreamPacer(pushes_per_s=0)
