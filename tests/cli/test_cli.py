"""The CLI as a user runs it: a real subprocess, JSON on stdout."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ocr_space", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)


def test_tiny_model_then_recognize_prints_json(tmp_path, example_lines):
    made = run_cli("tiny-model", "--out", str(tmp_path / "m"))
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout.strip().splitlines()[-1])["model"] == str(tmp_path / "m")

    done = run_cli("recognize", "--model", str(tmp_path / "m"), *map(str, example_lines[:2]), "--json",
                   "--max-new-tokens", "8")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.strip().splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert {"text", "seconds", "new_tokens"} <= set(row)
        assert isinstance(row["text"], str) and 0 < row["new_tokens"] <= 8


def test_user_errors_exit_2_with_a_message_not_a_traceback(tmp_path, example_lines):
    done = run_cli("recognize", "--model", str(tmp_path / "nowhere"), str(example_lines[0]), "--json")
    assert done.returncode == 2
    assert "Model folder not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_params_prints_published_sizes():
    done = run_cli("params", "--arch", "deepseek-ocr-2", "--lora-r", "16")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout.strip().splitlines()[-1])
    assert payload["params"] == 3_389_119_360
    assert payload["lora_params"] > 0
