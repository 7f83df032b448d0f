"""The benchmarks' CPU smoke modes, so the scripts cannot rot (numbers are not asserted: benches are not tests)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_infer_speed_tiny_writes_json(tmp_path):
    out = tmp_path / "infer.json"
    done = subprocess.run([sys.executable, "bench/infer_speed.py", "--tiny", "--lines", "4", "--batch-sizes", "1,4",
                           "--new-tokens", "4", "--adapter-batch", "4", "--decode", "eager,auto", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert [(run["batch_size"], run.get("adapter"), run["decode"]) for run in report["runs"]] == [
        (1, None, "eager"), (4, None, "eager"), (1, None, "auto"), (4, None, "auto"),
        (4, "lora, peft experts", "auto"), (4, "lora, factored", "auto")]
    assert "on cpu" in report["runs"][2]["decode_note"]  # the fast path says why it does not apply here
    assert all(run["mean_new_tokens"] == 4 for run in report["runs"])
    assert "speedup_batched:" in done.stdout


@pytest.mark.parametrize("flags", [[], ["--ours"]])
def test_profile_step_tiny_runs(tmp_path, flags):
    out = tmp_path / "profile.json"
    done = subprocess.run([sys.executable, "bench/profile_step.py", "--tiny", "--steps", "2", "--batch", "2",
                           "--json", str(out), *flags], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["trainable_params"] > 0
    assert result["config"]["factored_experts"] == bool(flags)


def test_train_speed_tiny_runs_reference_and_ocr_space_variants(tmp_path):
    out = tmp_path / "train.json"
    done = subprocess.run([sys.executable, "bench/train_speed.py", "--tiny", "--shapes", "lines", "--variants", "a,b",
                           "--steps", "6", "--model-dir", str(tmp_path / "model"), "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert [(r["variant"], r.get("error")) for r in report["results"]] == [("a", None), ("b", None)]
    assert all(r["samples_per_s"] > 0 for r in report["results"])
    assert "ratio_full_lines:" in done.stdout
