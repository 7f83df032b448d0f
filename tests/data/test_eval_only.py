"""Evaluation-only datasets: `--split 0,0,1` builds a held-out test set that Compare scores and training refuses."""

import json

import pytest

from ocr_space.cli import main
from ocr_space.data.build import build_dataset, parse_split
from ocr_space.errors import ConfigError


def test_a_zero_train_share_builds_only_a_test_split(tmp_path):
    built = build_dataset("examples/demo/manifest.txt", tmp_path, prefix="bench", split="0,0,1")
    assert built.summary() == {"train": 0, "validation": 0, "test": 30, "rejected": 0}
    assert sorted(path.name for path in tmp_path.glob("*.parquet")) == ["bench_test.parquet"]


def test_a_split_of_all_zeros_is_still_refused():
    with pytest.raises(ConfigError, match="not all 0"):
        parse_split("0,0,0")


def test_build_with_split_0_0_1_then_compare_on_its_test_split(tiny_model_dir, tmp_path, capsys):
    assert main(["dataset", "build", "examples/demo/manifest.txt", "--out", str(tmp_path / "bench"),
                 "--split", "0,0,1"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["test"] == 30
    assert main(["compare", "--data", str(tmp_path / "bench"), "--split", "test", "--engine",
                 f"base={tiny_model_dir}", "--limit", "3", "--max-new-tokens", "4",
                 "--out", str(tmp_path / "report")]) == 0
    summary = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert isinstance(summary["base"], float)
    assert json.loads((tmp_path / "report" / "report.json").read_text())["samples"] == 3
