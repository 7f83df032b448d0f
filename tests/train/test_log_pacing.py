"""Loss logging paced in time: on a GPU a log per step would make the host wait for every step to finish."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from transformers import TrainerControl

from ocr_space.train import RunDir, TrainConfig, callbacks, train
from ocr_space.train.callbacks import LogPacing


def _steps_logged(pacing: LogPacing, times: list[float], max_steps: int, cancel_at: int | None = None) -> list[int]:
    clock = iter(times)
    pacing.clock = lambda: next(clock)
    pacing.on_train_begin(None, None, None)
    logged = []
    for step in range(1, max_steps + 1):
        control = TrainerControl(should_training_stop=step == cancel_at)
        pacing.on_step_end(None, SimpleNamespace(global_step=step, max_steps=max_steps), control)
        if control.should_log:
            logged.append(step)
        if step == cancel_at:
            break
    return logged


def test_logs_once_the_interval_has_passed_and_at_the_last_step():
    # the clock at train begin, then at the end of steps 1..6
    times = [0.0, 0.3, 0.6, 1.1, 1.2, 1.5, 2.4]
    assert _steps_logged(LogPacing(1.0), times, max_steps=6) == [3, 6]
    assert _steps_logged(LogPacing(0.0), times, max_steps=6) == [1, 2, 3, 4, 5, 6]


def test_a_cancelled_run_logs_its_last_step():
    assert _steps_logged(LogPacing(1.0), [0.0, 0.1, 0.2, 0.3], max_steps=6, cancel_at=2) == [2]


@pytest.mark.parametrize("interval", [1e9])
def test_a_coalesced_log_is_the_mean_of_the_steps_it_covers(reader_model_dir, small_dataset, tmp_path, monkeypatch,
                                                            interval):
    def run(out, pacing=None):
        if pacing is not None:
            monkeypatch.setattr(callbacks, "LogPacing", lambda _interval: LogPacing(pacing))
        config = TrainConfig(model=str(reader_model_dir), data=str(small_dataset), out=str(tmp_path / out), steps=3,
                             batch_size=2, warmup_steps=0, save_steps=50, eval_samples=0, device="cpu")
        assert train(config).state == "done"
        return RunDir(tmp_path / out).read_events()

    every_step = run("every")
    coalesced = run("paced", pacing=interval)
    assert [event["step"] for event in every_step] == [1, 2, 3]
    assert [event["step"] for event in coalesced] == [3]
    mean = sum(event["loss"] for event in every_step) / 3
    assert coalesced[0]["loss"] == pytest.approx(mean, rel=1e-3)
