"""Runs a user asks for in a hurry: fewer steps than the warm-up, TensorBoard on, a dataset with nothing to train."""


import pytest

from ocr_space.cli import main
from ocr_space.train import RunDir

FAST = ["--batch-size", "2", "--eval-samples", "0", "--save-steps", "100", "--gradient-checkpointing", "off"]


@pytest.fixture(scope="module")
def three_step_run(reader_model_dir, small_dataset, tmp_path_factory):
    """`train --steps 3` with the default warm-up (5 steps) and TensorBoard on."""
    run = RunDir(tmp_path_factory.mktemp("short") / "run")
    code = main(["train", "--model", str(reader_model_dir), "--data", str(small_dataset), "--out", str(run.path),
                 "--steps", "3", "--report-to", "tensorboard", *FAST])
    return code, run


def test_train_with_fewer_steps_than_the_warm_up_runs_with_the_warm_up_clamped(three_step_run):
    code, run = three_step_run
    assert code == 0
    status = run.read_status()
    assert (status["state"], status["step"]) == ("done", 3)
    assert status["plan"]["warmup_steps"] == 3
    assert "warm-up clamped to 3 steps: warmup_steps (5) was more than the run's 3 steps" in run.log_file.read_text()


def test_tensorboard_writes_its_event_files_into_the_run_folder(three_step_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _, run = three_step_run
    files = list(run.path.glob("events.out.tfevents.*"))
    assert files, sorted(path.name for path in run.path.iterdir())
    events = EventAccumulator(str(run.path))
    events.Reload()
    assert [event.step for event in events.Scalars("train/loss")] == [1, 2, 3]


def test_training_on_an_evaluation_only_dataset_says_so(reader_model_dir, tmp_path, capsys):
    from ocr_space.data.build import build_dataset

    build_dataset("examples/demo/manifest.txt", tmp_path / "bench", split="0,0,1")
    code = main(["train", "--model", str(reader_model_dir), "--data", str(tmp_path / "bench"), "--out",
                 str(tmp_path / "run"), "--steps", "1", *FAST])
    assert code != 0
    error = capsys.readouterr().err
    assert "has no training rows (it has only: test)" in error and "evaluation-only" in error
