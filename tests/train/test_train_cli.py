"""`train`, `train --resume` and `merge` as a user runs them: real subprocesses, JSON on stdout."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ocr_space.train import RunDir

from support.polling import poll

ROOT = Path(__file__).resolve().parents[2]


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "ocr_space", *map(str, args)]


def cli_env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(cli(*args), capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=600)


def test_resume_after_sigkill_continues_from_the_checkpoint(reader_model_dir, small_dataset, tmp_path):
    run = RunDir(tmp_path / "run")
    train_args = ["train", "--model", reader_model_dir, "--data", small_dataset, "--out", run.path, "--steps", 8,
                  "--batch-size", 1, "--grad-accum", 1, "--warmup-steps", 0, "--save-steps", 3, "--eval-samples", 0,
                  "--gradient-checkpointing", "off", "--learning-rate", 0.005, "--train-modules", "lm_head"]
    process = subprocess.Popen(cli(*train_args), env=cli_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        poll(lambda: run.latest_checkpoint() and any(e["step"] > 3 for e in run.read_events()), 300,
             "a step logged after checkpoint-3")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    before = {event["step"]: event["loss"] for event in run.read_events()}
    checkpoint = int(run.latest_checkpoint().name.split("-")[1])
    assert checkpoint + 1 in before, "the killed run logged a step after its last checkpoint"
    assert run.read_status()["stale"] is True  # a dead process's run does not read as running

    done = run_cli("train", "--resume", run.path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["state"] == "done" and summary["step"] == 8
    assert (run.adapter / "adapter_model.safetensors").is_file()

    after = run.read_events()
    assert [event["step"] for event in after] == list(range(1, 9))  # continues, no step twice, none lost
    resumed = next(event for event in after if event["step"] == checkpoint + 1)
    # the resumed step starts from the checkpoint's weights, optimizer, RNG and data position:
    # it reproduces the killed run's loss for that step (a restart from step 0 would not)
    assert abs(resumed["loss"] - before[checkpoint + 1]) < 1e-4
    assert abs(resumed["loss"] - after[0]["loss"]) > 1e-3


def test_resume_of_a_finished_run_says_so(reader_model_dir, small_dataset, tmp_path):
    done = run_cli("train", "--model", reader_model_dir, "--data", small_dataset, "--out", tmp_path / "run",
                   "--steps", 1, "--batch-size", 1, "--grad-accum", 1, "--warmup-steps", 0, "--eval-samples", 0,
                   "--gradient-checkpointing", "off")
    assert done.returncode == 0, done.stderr
    again = run_cli("train", "--resume", tmp_path / "run")
    assert again.returncode == 2 and "already finished" in again.stderr and "Traceback" not in again.stderr


def test_bad_settings_exit_2_naming_the_field(reader_model_dir, small_dataset, tmp_path):
    done = run_cli("train", "--model", reader_model_dir, "--data", small_dataset, "--out", tmp_path / "run",
                   "--learning-rate", "-1")
    assert done.returncode == 2
    assert "learning_rate" in done.stderr and "Traceback" not in done.stderr
