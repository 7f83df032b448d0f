"""A run whose process died mid-training (a crash, a Space restart) is listed as interrupted, and the app resumes it
on start with OCR_SPACE_AUTO_RESUME=1."""

import json
import signal
import subprocess

from test_train_cli import ROOT, cli, cli_env

from ocr_space.startup import on_start
from ocr_space.train import RUNNER, RunDir, interrupted_runs

from support.polling import poll


def test_the_app_resumes_an_interrupted_run_on_start(reader_model_dir, small_dataset, tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    run = RunDir(runs / "lines")
    process = subprocess.Popen(cli("train", "--model", reader_model_dir, "--data", small_dataset, "--out", run.path,
                                   "--steps", 4, "--batch-size", 1, "--warmup-steps", 0, "--save-steps", 2,
                                   "--eval-samples", 0, "--gradient-checkpointing", "off"),
                               env=cli_env(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        poll(lambda: run.latest_checkpoint() is not None, 300, "checkpoint-2")
    finally:
        process.send_signal(signal.SIGKILL)  # what a Space restart does to the app's process
        process.wait(30)
    assert [found.path for found in interrupted_runs(runs)] == [run.path]
    killed_at = run.latest_checkpoint_step()

    monkeypatch.setenv("OCR_SPACE_RUNS", str(runs))
    monkeypatch.setenv("OCR_SPACE_AUTO_RESUME", "1")
    on_start()  # what app.py does when it starts: the newest interrupted run continues in this process
    job = RUNNER.current
    assert job is not None and job.run_dir == run.path
    job.wait(300)
    status = run.read_status()
    assert status["state"] == "done", status.get("message")
    assert status["step"] == 4 and interrupted_runs(runs) == []
    steps = [event["step"] for event in run.read_events()]
    assert steps == list(range(1, 5))  # continued from checkpoint-{killed_at}: no step twice, none lost
    assert f"resuming from {run.path / 'checkpoints' / f'checkpoint-{killed_at}'}" in run.log_file.read_text()
    assert json.loads((run.adapter / "adapter_config.json").read_text())


def test_a_checkpoint_cut_mid_save_is_passed_over_for_the_one_before(tmp_path):
    run = RunDir(tmp_path / "run")
    for step, state in ((2, '{"global_step": 2}'), (4, "")):  # a restart while checkpoint-4 was being written
        (run.checkpoints / f"checkpoint-{step}").mkdir(parents=True)
        (run.checkpoints / f"checkpoint-{step}" / "trainer_state.json").write_text(state)
    assert run.latest_checkpoint() == run.checkpoints / "checkpoint-2" and run.latest_checkpoint_step() == 2
