"""Acceptance for multi-process runs on CPU (gloo): 2 processes give the numbers 1 process gives.

Each launch is real: two processes of ``python -m ocr_space ...`` import the
package, load the tiny model and talk over gloo, the way N GPU processes talk
over NCCL. Training starts through :func:`ocr_space.train.launch.launch_training`
(``accelerate launch --multi_gpu --num_processes 2``, what the app's "use all
GPUs" runs); evaluation and recognition through ``torchrun --standalone``.
(``accelerate launch --cpu --num_processes 2`` would start a single process
unless mpirun is set up.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAUNCH_TIMEOUT = 300


def launch(args: list[str], processes: int = 2, check: bool = True) -> subprocess.CompletedProcess:
    """``torchrun --standalone --nproc_per_node N -m ocr_space ARGS`` from the repository root."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}",
               "-m", "ocr_space", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=LAUNCH_TIMEOUT)
    report = f"launch failed ({done.returncode}):\n{done.stdout}\n{done.stderr[-4000:]}"
    assert done.returncode == 0 or not check, report
    return done


@pytest.fixture(scope="module")
def two_process_eval(reader_model_dir, small_dataset, tmp_path_factory):
    """`eval` of the 6 test lines by 2 processes, batches of 2: the processes read 4 and 2 lines."""
    out = tmp_path_factory.mktemp("eval-2")
    done = launch(["eval", "--model", str(reader_model_dir), "--data", str(small_dataset), "--out", str(out),
                   "--batch-size", "2", "--max-new-tokens", "8", "--device", "cpu"])
    return done, out


def test_eval_with_two_processes_reports_the_numbers_of_one(two_process_eval, reader_model_dir, small_dataset):
    from ocr_space.evaluation.compare import evaluate

    done, out = two_process_eval
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    single = evaluate(str(reader_model_dir), str(small_dataset), batch_size=2, max_new_tokens=8, device="cpu")

    assert report["settings"]["processes"] == 2
    assert report["samples"] == len(single.references) == 6
    assert [row["hypothesis"] for row in report["rows"]] == single.engines[0].hypotheses
    assert report["engines"][0]["summary"] == single.engines[0].summary.as_dict()
    assert json.loads(done.stdout.strip().splitlines()[-1]) == single.summary()


def test_only_rank_zero_prints_and_writes_the_report(two_process_eval):
    done, out = two_process_eval
    assert sorted(p.name for p in out.iterdir()) == ["report.csv", "report.html", "report.json"]
    summaries = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1  # one JSON summary, not one per process


def test_recognize_with_two_processes_prints_every_image_once_in_input_order(reader_model_dir, small_dataset,
                                                                             tmp_path):
    from ocr_space.data.splits import load_split
    from ocr_space.models import load_model
    from ocr_space.recognize import recognize_batch

    rows = load_split(str(small_dataset), "test")
    paths = []
    for index, image in enumerate(rows["image"][:5]):
        paths.append(tmp_path / f"line_{index}.png")
        image.save(paths[-1])
    done = launch(["recognize", "--model", str(reader_model_dir), "--max-new-tokens", "6", "--batch-size", "2",
                   "--device", "cpu", "--json", *map(str, paths)])

    printed = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    single = recognize_batch(load_model(str(reader_model_dir), device="cpu"), paths, max_new_tokens=6, batch_size=2)
    assert [item["image"] for item in printed] == [str(p) for p in paths]
    assert [item["text"] for item in printed] == [r.text for r in single]


def test_a_failure_on_one_process_ends_every_process_with_a_message(reader_model_dir, small_dataset, tmp_path):
    """Image 3 is missing and falls in process 1's share: process 0 must not wait for it forever."""
    from ocr_space.data.splits import load_split

    image = load_split(str(small_dataset), "test")["image"][0]
    paths = [tmp_path / "a.png", tmp_path / "b.png", tmp_path / "missing.png"]
    image.save(paths[0])
    image.save(paths[1])
    done = launch(["recognize", "--model", str(reader_model_dir), "--max-new-tokens", "2", "--batch-size", "1",
                   "--device", "cpu", *map(str, paths)], check=False)

    assert done.returncode != 0
    assert "missing.png" in done.stderr  # process 1's own message
    assert "error: Another process of this launch failed: process 1" in done.stderr  # what process 0 says


@pytest.fixture(scope="module")
def two_process_run(reader_model_dir, small_dataset, tmp_path_factory):
    """6 steps of 4 samples (2 per process), a checkpoint every 3 steps, started as the app starts it."""
    from ocr_space.train import RunDir, TrainConfig
    from ocr_space.train.launch import LAUNCH_LOG, launch_training

    out = tmp_path_factory.mktemp("train-2") / "run"
    config = TrainConfig(model=str(reader_model_dir), data=str(small_dataset), out=str(out), steps=6, batch_size=4,
                         warmup_steps=0, save_steps=3, eval_samples=0)
    launched = launch_training(config, processes=2)
    code = launched.wait(timeout=LAUNCH_TIMEOUT)
    log_tail = (out / LAUNCH_LOG).read_text(encoding="utf-8", errors="replace")[-4000:]
    assert code == 0, f"the launch ended with {code}:\n{log_tail}"
    return RunDir(out)


def test_two_processes_train_one_run_folder_with_the_adapter(two_process_run):
    status = two_process_run.read_status()
    plan = status["plan"]
    assert status["state"] == "done" and status["step"] == 6
    assert (plan["world_size"], plan["strategy"]) == (2, "ddp")
    assert (plan["batch_size"], plan["grad_accum"], plan["samples_per_step"]) == (2, 1, 4)  # the effective batch kept
    assert (two_process_run.adapter / "adapter_model.safetensors").is_file()
    assert (two_process_run.adapter / "training_config.yaml").is_file()
    assert sorted(p.name for p in two_process_run.checkpoints.iterdir()) == ["checkpoint-3", "checkpoint-6"]


def test_events_are_written_once_per_step(two_process_run):
    assert [event["step"] for event in two_process_run.read_events()] == [1, 2, 3, 4, 5, 6]


def test_the_first_loss_equals_one_process_with_the_same_effective_batch(two_process_run, reader_model_dir,
                                                                         small_dataset, tmp_path):
    from ocr_space.train import RunDir, TrainConfig, train

    single = train(TrainConfig(model=str(reader_model_dir), data=str(small_dataset), out=str(tmp_path / "one"),
                               steps=1, batch_size=4, warmup_steps=0, eval_samples=0))
    one = RunDir(single.run_dir).read_events()[0]["loss"]
    two = two_process_run.read_events()[0]["loss"]
    assert two == pytest.approx(one, rel=1e-5)


def test_resuming_with_another_number_of_processes_is_refused(two_process_run):
    from ocr_space.errors import ConfigError
    from ocr_space.train import resume

    with pytest.raises(ConfigError, match="trained with 2 process.*torchrun --nproc_per_node 2"):
        resume(two_process_run.path, steps=8)
