"""`python -m ocr_space recognize` as a user runs it: PDFs and images, one JSON object per page, bad files reported."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ocr_space", "recognize", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=600)


def test_pdf_pages_and_images_are_read_and_a_corrupt_file_is_an_error_object(tiny_model_dir, three_page_pdf,
                                                                              example_lines, tmp_path):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG not really")
    out = tmp_path / "out"
    done = run_cli("--model", str(tiny_model_dir), str(three_page_pdf), str(corrupt), str(example_lines[0]),
                   "--max-new-tokens", "6", "--out", str(out))
    assert done.returncode == 1, done.stderr  # one file failed, the others were read
    rows = [json.loads(line) for line in done.stdout.strip().splitlines()]
    pdf_rows = [row for row in rows if row["image"] == str(three_page_pdf)]
    assert [row["page"] for row in pdf_rows] == [1, 2, 3]
    for row in pdf_rows:
        assert {"text", "seconds", "new_tokens", "regions", "mode"} <= set(row) and 0 < row["new_tokens"] <= 6
    (error,) = [row for row in rows if row["image"] == str(corrupt)]
    assert "Not a readable image" in error["error"] and error["page"] is None
    (image_row,) = [row for row in rows if row["image"] == str(example_lines[0])]
    assert image_row["page"] is None and image_row["regions"] == []

    written = json.loads((out / "three-pages.json").read_text(encoding="utf-8"))
    assert [page["page"] for page in written["pages"]] == [1, 2, 3]
    assert (out / "three-pages.txt").read_text(encoding="utf-8").count("\f") == 2  # a form feed between pages
    assert (out / "three-pages.md").read_text(encoding="utf-8").count("\n---\n") == 2
    assert (out / f"{example_lines[0].stem}.txt").is_file()
    assert not (out / "corrupt.txt").exists()
    assert "Traceback" not in done.stderr


def test_a_malformed_page_range_is_a_usage_error(tiny_model_dir, three_page_pdf):
    done = run_cli("--model", str(tiny_model_dir), str(three_page_pdf), "--pages", "two")
    assert done.returncode == 2
    assert "pages" in done.stderr and "Traceback" not in done.stderr
