"""The job runner: background thread, cancel, failures as results (OOM included), one job at a time."""

import json
import subprocess
import sys
import threading

import pytest
import torch

from ocr_space.data.splits import DatasetError
from ocr_space.errors import ConfigError
from ocr_space.train import RUNNER, RunDir, TrainConfig, TrainingBusyError, train
from ocr_space.train.oom import TrainingOutOfMemory

TIMEOUT = 300


def mechanics_config(model_dir, data_dir, out, **changes) -> TrainConfig:
    """Cheapest real settings: one sample per step, no evaluation, no gradient checkpointing."""
    settings = dict(model=str(model_dir), data=str(data_dir), out=str(out), steps=2, batch_size=1, grad_accum=1,
                    warmup_steps=0, save_steps=50, eval_samples=0, gradient_checkpointing="off")
    return TrainConfig(**{**settings, **changes})


class StepReached:
    """on_event hook that fires a threading.Event once a given step is logged."""

    def __init__(self, step: int):
        self.step = step
        self.event = threading.Event()

    def __call__(self, event: dict) -> None:
        if event["step"] >= self.step:
            self.event.set()


def test_cancel_stops_within_one_optimizer_step_and_keeps_a_checkpoint(reader_model_dir, small_dataset, tmp_path):
    reached = StepReached(1)
    job = train(mechanics_config(reader_model_dir, small_dataset, tmp_path / "run", steps=40), background=True,
                on_event=reached)
    assert reached.event.wait(TIMEOUT)
    job.cancel()
    step_when_asked = job.status()["step"]
    result = job.wait(TIMEOUT)

    assert result.state == "cancelled"
    assert result.step <= step_when_asked + 1 < 40
    status = job.status()
    assert status["state"] == "cancelled" and "Cancelled after step" in status["message"]
    assert RunDir(job.run_dir).latest_checkpoint().name == f"checkpoint-{result.step}"
    assert not (job.run_dir / "adapter").exists()


def test_a_second_job_is_refused_while_one_runs(reader_model_dir, small_dataset, tmp_path):
    job = train(mechanics_config(reader_model_dir, small_dataset, tmp_path / "a", steps=40), background=True)
    try:
        with pytest.raises(TrainingBusyError, match="already running"):
            train(mechanics_config(reader_model_dir, small_dataset, tmp_path / "b"), background=True)
    finally:
        job.cancel()
        job.wait(TIMEOUT)
    assert not (tmp_path / "b").exists()


def test_cuda_oom_ends_the_job_with_cause_and_fixes_and_the_runner_takes_the_next(
        reader_model_dir, small_dataset, tmp_path, monkeypatch):
    from ocr_space.train.checkpoints import AdapterCheckpointTrainer

    def out_of_memory(*args, **kwargs):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(AdapterCheckpointTrainer, "training_step", out_of_memory)
    with pytest.raises(TrainingOutOfMemory) as caught:
        train(mechanics_config(reader_model_dir, small_dataset, tmp_path / "oom"))
    message = str(caught.value)
    assert "ran out of memory" in message and "batch_size (now 1" in message and "load_in_4bit" in message
    status = RunDir(tmp_path / "oom").read_status()
    assert status["state"] == "failed" and status["message"] == message
    assert not RUNNER.busy()

    monkeypatch.undo()
    result = train(mechanics_config(reader_model_dir, small_dataset, tmp_path / "after", steps=1))
    assert result.state == "done" and (result.adapter / "adapter_config.json").is_file()


def test_bad_config_is_rejected_before_a_run_folder_exists(reader_model_dir, small_dataset, tmp_path):
    with pytest.raises(ConfigError, match="^steps:"):
        train(mechanics_config(reader_model_dir, small_dataset, tmp_path / "run", steps=0))
    assert not (tmp_path / "run").exists()


def test_a_missing_dataset_fails_the_job_with_a_dataset_error(reader_model_dir, tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        train(mechanics_config(reader_model_dir, tmp_path / "nowhere", tmp_path / "run"))
    assert RunDir(tmp_path / "run").read_status()["state"] == "failed"


def test_an_existing_run_folder_is_not_overwritten(reader_model_dir, small_dataset, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "status.json").write_text(json.dumps({"state": "done"}))
    with pytest.raises(ConfigError, match="already holds a run"):
        train(mechanics_config(reader_model_dir, small_dataset, tmp_path / "run"))


def test_a_run_whose_process_died_reads_as_stale(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    run = RunDir(tmp_path)
    run.update_status(state="training", step=3, pid=int(dead.stdout))
    assert run.read_status()["stale"] is True
    run.update_status(state="done")
    assert "stale" not in run.read_status()
