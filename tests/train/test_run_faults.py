"""Faults during training: a full disk ends the run, never the runner; two starts never share a folder."""

import errno
import json

from ocr_space import workspace
from ocr_space.train import RUNNER, RunDir, TrainConfig
from ocr_space.train import run_dir as run_dir_module
from ocr_space.train.runner import DiskWriteFailed
from ocr_space.workspace import unique_run_name


def _disk_fills_at_step(monkeypatch, step: int) -> None:
    """From the event of ``step`` on, every run-folder write we make fails with ENOSPC (status.json included)."""
    full = {"yes": False}
    append, write = RunDir.append_event, run_dir_module._write_json_atomic

    def append_event(self, event):
        full["yes"] = full["yes"] or event.get("step", 0) >= step
        if full["yes"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        append(self, event)

    def write_json(path, payload):
        if full["yes"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        write(path, payload)

    monkeypatch.setattr(RunDir, "append_event", append_event)
    monkeypatch.setattr(run_dir_module, "_write_json_atomic", write_json)


def test_a_full_disk_ends_the_run_failed_frees_the_runner_and_keeps_the_checkpoint(
        reader_model_dir, small_dataset, tmp_path, monkeypatch):
    _disk_fills_at_step(monkeypatch, 2)
    out = tmp_path / "run"
    job = RUNNER.start(TrainConfig(model=str(reader_model_dir), data=str(small_dataset), out=str(out), steps=4,
                                   batch_size=1, grad_accum=1, warmup_steps=0, save_steps=1, eval_samples=0,
                                   gradient_checkpointing="off"))
    job.wait(300)

    assert job.done() and isinstance(job.error, DiskWriteFailed)
    status = RunDir(out).read_status()
    assert status["state"] == "failed" and "No space left on device" in status["message"]
    assert "Resume" in status["message"] and "checkpoint-1" in status["message"]
    # status.json could not be written: the file still says the run was going, this process knows it failed
    assert json.loads((out / "status.json").read_text())["state"] != "failed"
    assert not RUNNER.busy()
    assert RunDir(out).latest_checkpoint().name == "checkpoint-1"


def test_two_runs_started_in_the_same_second_get_their_own_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(workspace.time, "strftime", lambda *_: "20260101-120000")
    first, second = unique_run_name(tmp_path, "lines"), unique_run_name(tmp_path, "lines")
    assert first != second and first.is_dir() and second.is_dir()
    assert (first.name, second.name) == ("20260101-120000-lines", "20260101-120000-lines-2")
