"""`python -m ocr_space dataset ...`: one JSON line at the end; a real subprocess once, `main()` otherwise."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from ocr_space.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ocr_space", "dataset", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def test_build_prints_the_split_summary(tmp_path):
    done = run_cli("build", "examples/demo/manifest.txt", "--out", str(tmp_path), "--prefix", "demo",
                   "--split", "0.8,0.1,0.1", "--seed", "7")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1  # nothing but the summary on stdout
    assert json.loads(done.stdout) == {"train": 24, "validation": 3, "test": 3, "rejected": 0}
    assert len(pd.read_parquet(tmp_path / "demo_train.parquet")) == 24


def test_synth_renders_with_the_named_fonts(tmp_path, capsys):
    (tmp_path / "domain.txt").write_text("发票号码\n金额合计\n税务登记\n", encoding="utf-8")
    code = main(["dataset", "synth", "--text", str(tmp_path / "domain.txt"), "--out", str(tmp_path / "ds"),
                 "--n", "10", "--fonts", "ukai", "wqy-microhei", "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert json.loads(out.splitlines()[-1]) == {"train": 8, "validation": 1, "test": 1, "rejected": 0}
    fonts = {json.loads(line)["font"] for line in (tmp_path / "ds" / "synth.jsonl").read_text().splitlines()}
    assert fonts == {"ukai.ttc", "wqy-microhei.ttc"}


def test_nothing_usable_exits_2_after_the_summary(tmp_path, capsys):
    (tmp_path / "lines.txt").write_text("missing.png 不存在\n../escape.png 越界\n", encoding="utf-8")
    code = main(["dataset", "build", str(tmp_path / "lines.txt"), "--out", str(tmp_path / "ds")])
    out, err = capsys.readouterr()
    assert code == 2
    assert json.loads(out.splitlines()[-1]) == {"train": 0, "validation": 0, "test": 0, "rejected": 2}
    assert "missing_file" in err and "outside_root" in err and "error: no sample passed the checks" in err


def test_bad_column_name_is_an_error_message(tmp_path, capsys):
    (tmp_path / "labels.csv").write_text("file_name,text\na.png,字\n", encoding="utf-8")
    code = main(["dataset", "build", str(tmp_path / "labels.csv"), "--out", str(tmp_path / "ds"),
                 "--text-column", "ocr"])
    assert code == 2 and "error: labels.csv has no column 'ocr'" in capsys.readouterr().err
