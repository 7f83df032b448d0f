"""`python -m ocr_space push ...`: JSON summary on success, `error: ...` and exit code 2 on a Hub refusal."""

import json
import os
import subprocess
import sys
from pathlib import Path

from ocr_space.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_push_adapter_ends_with_a_json_summary(hub, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", hub.token)

    code = main(["push", "adapter", str(run_dir), "--repo", "alice/cli-lora"])

    out, err = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 0
    assert summary["repo_id"] == "alice/cli-lora" and summary["private"] is True and summary["kind"] == "adapter"
    assert set(summary["files"]) == set(hub.state.repo("alice/cli-lora").files)
    assert "Uploading adapter_model.safetensors" in err and "[100%]" in err


def test_public_flag_creates_a_public_repo(hub, run_dir, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", hub.token)
    assert main(["push", "adapter", str(run_dir / "adapter"), "--repo", "alice/open-lora", "--public"]) == 0
    assert hub.state.repo("alice/open-lora").private is False


def test_a_subprocess_finds_the_hub_through_hf_endpoint_and_reports_a_401_in_one_line(hub_server, run_dir, tmp_path):
    hub_server.state.reset()
    env = {**os.environ, "HF_ENDPOINT": hub_server.endpoint, "HF_HUB_OFFLINE": "0", "HF_HOME": str(tmp_path),
           "HF_TOKEN": "hf_revokedtoken123", "PYTHONPATH": str(ROOT)}
    process = subprocess.run([sys.executable, "-m", "ocr_space", "push", "adapter", str(run_dir), "--repo",
                              "alice/x"], env=env, capture_output=True, text=True, timeout=120)

    assert process.returncode == 2
    last = process.stderr.strip().splitlines()[-1]
    assert last.startswith("error: The Hub rejected your token (401)")
    assert "hf_revokedtoken123" not in process.stderr + process.stdout and "Traceback" not in process.stderr
    assert any(r["path"] == "/api/whoami-v2" for r in hub_server.state.requests)  # it did reach the local Hub
