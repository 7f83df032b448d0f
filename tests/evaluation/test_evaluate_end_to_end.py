"""Acceptance: the tiny model, Tesseract and RapidOCR on the example lines -> three reports, a clean HTML page."""

import contextlib
import csv
import io
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from ocr_space.cli import main
from ocr_space.evaluation.compare import compare, evaluate
from ocr_space.evaluation.engines import LoadedModelEngine
from ocr_space.evaluation.runner import EvalSamples

from support.example_data import example_manifest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "lines"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def compare_run(examples_dataset, tiny_model_dir, tmp_path_factory):
    """`python -m ocr_space compare` in-process, with every network connection refused."""
    out = tmp_path_factory.mktemp("compare-report")
    argv = ["compare", "--data", str(examples_dataset), "--engine", f"tiny={tiny_model_dir}", "--engine", "tesseract",
            "--engine", "rapidocr", "--engine", f"missing={tiny_model_dir}-not-there", "--max-new-tokens", "12",
            "--mode", "small", "--device", "cpu", "--out", str(out)]

    def refuse(*args, **kwargs):
        raise AssertionError("the evaluation tried to open a network connection")

    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(stdout):
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        code = main(argv)
    return code, stdout.getvalue().strip().splitlines(), out


def test_compare_cli_writes_three_reports_and_ends_with_a_json_summary(compare_run):
    code, lines, out = compare_run
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["report.csv", "report.html", "report.json"]
    summary = json.loads(lines[-1])
    assert list(summary) == ["tiny", "tesseract", "rapidocr", "missing"]
    assert summary["missing"] is None
    assert all(isinstance(summary[name], float) for name in ("tiny", "tesseract", "rapidocr"))


def test_classic_engines_read_the_clean_example_lines(compare_run):
    summary = json.loads(compare_run[1][-1])
    assert summary["rapidocr"] < 0.2 and summary["tesseract"] < 0.5  # real OCR, not placeholders
    assert summary["tiny"] > 0.5  # a random-weight model reads garbage


def test_report_json_holds_numbers_intervals_and_rows(compare_run):
    report = json.loads((compare_run[2] / "report.json").read_text(encoding="utf-8"))
    assert report["samples"] == 4
    assert report["normalization"] == {"nfkc": True, "fold_width": True, "fold_punctuation": False,
                                       "whitespace": "cjk"}
    engines = {e["name"]: e for e in report["engines"]}
    assert engines["missing"]["available"] is False and "not found" in engines["missing"]["unavailable"]
    tiny = engines["tiny"]
    assert tiny["summary"]["cer"] == report["summary"]["tiny"]
    assert tiny["throughput"]["lines_per_second"] > 0 and tiny["throughput"]["tokens_per_second"] > 0
    assert engines["tesseract"]["throughput"]["tokens_per_second"] is None
    assert {c["engine"] for c in report["comparisons"]} == {"tesseract", "rapidocr"}
    assert all(c["baseline"] == "tiny" and c["low"] <= c["difference"] <= c["high"] for c in report["comparisons"])
    assert report["confusions"] and {"reference", "hypothesis", "tiny", "tesseract", "rapidocr"} <= set(
        report["confusions"][0])
    assert len(report["rows"]) == 12


def test_report_csv_has_one_row_per_line_and_engine(compare_run):
    with (compare_run[2] / "report.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 12
    references = {text for _, text in example_manifest()}
    assert {row["reference"] for row in rows} == references
    assert {row["engine"] for row in rows} == {"tiny", "tesseract", "rapidocr"}


def _open_in_chromium(url: str, profile: Path) -> tuple[list[str], list[str], str, int]:
    from playwright.sync_api import sync_playwright

    errors, requests = [], []
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, headless=True,
                                                                args=CHROMIUM_FLAGS)
        try:
            page = context.new_page()
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url, wait_until="load")
            return errors, requests, page.inner_text("body"), page.locator("svg").count()
        finally:
            context.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_report_html_opens_in_headless_chromium_without_errors(compare_run, tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<script>notDefined()</script>", encoding="utf-8")
    assert _open_in_chromium(broken.as_uri(), tmp_path / "profile-check")[0]  # the error collection works

    html = compare_run[2] / "report.html"
    errors, requests, text, svgs = _open_in_chromium(html.as_uri(), tmp_path / "profile")
    assert errors == []
    assert requests == [html.as_uri()]  # self-contained: no other request at all
    assert svgs == 3  # one CER histogram per engine that ran
    for heading in ("Verdict", "Summary", "CER per line", "Character confusions", "Worst lines"):
        assert heading in text
    assert "今天天气很好" in text and "unavailable" in text


def test_batched_evaluation_equals_one_by_one(tiny_loaded):
    lines = example_manifest()
    samples = EvalSamples.from_lists([EXAMPLES / name for name, _ in lines], [text for _, text in lines])
    engines = [LoadedModelEngine("one-by-one", tiny_loaded, batch_size=1, max_new_tokens=6),
               LoadedModelEngine("batched", tiny_loaded, batch_size=3, max_new_tokens=6)]
    report = compare(samples, engines)
    one, batched = report.engine("one-by-one"), report.engine("batched")
    assert batched.hypotheses == one.hypotheses
    assert batched.new_tokens == one.new_tokens
    assert report.comparisons[0].difference == 0.0


def test_base_and_base_plus_adapter_are_separate_engines(examples_dataset, tiny_model_dir, tmp_path):
    import torch
    from peft import get_peft_model

    from ocr_space.models import load_model
    from ocr_space.models.lora import LoraSettings, lora_config

    base = load_model(str(tiny_model_dir), device="cpu")
    config = lora_config(base.family, LoraSettings(r=4, alpha=8))
    config.init_lora_weights = False  # random A and B, so the adapter changes the readings
    torch.manual_seed(0)
    get_peft_model(base.model, config).save_pretrained(tmp_path / "adapter")

    report = compare(examples_dataset, [f"base={tiny_model_dir}", f"tuned={tiny_model_dir}+{tmp_path / 'adapter'}"],
                     limit=2, max_new_tokens=6, mode="small", device="cpu", out=tmp_path / "report")
    tuned = report.engine("tuned")
    assert tuned.description["adapter"] == str(tmp_path / "adapter")
    assert len(tuned.hypotheses) == 2 and tuned.hypotheses != report.engine("base").hypotheses
    assert (tmp_path / "report" / "report.html").is_file()


def test_evaluate_caps_the_samples(examples_dataset, tiny_model_dir):
    calls = []
    report = evaluate(str(tiny_model_dir), examples_dataset, limit=3, max_new_tokens=4, mode="small",
                      device="cpu", batch_size=2, progress=lambda done, total, message: calls.append((done, total)))
    assert report.summary().keys() == {tiny_model_dir.name}
    assert len(report.references) == 3 and report.source["rows_in_split"] == 4
    assert calls[-1] == (3, 3) and (2, 3) in calls  # progress after each batch of 2


def test_eval_cli_reports_a_missing_model_as_a_user_error(examples_dataset, tmp_path, capsys):
    code = main(["eval", "--model", str(tmp_path / "nope"), "--data", str(examples_dataset), "--out",
                 str(tmp_path / "out")])
    assert code == 2
    assert "Model folder not found" in capsys.readouterr().err


def test_eval_cli_reports_a_missing_split(examples_dataset, tiny_model_dir, tmp_path, capsys):
    code = main(["eval", "--model", str(tiny_model_dir), "--data", str(examples_dataset), "--split", "train",
                 "--out", str(tmp_path / "out")])
    assert code == 2
    assert "no 'train' split" in capsys.readouterr().err


def test_batch_speed_benchmark_smoke(tmp_path):
    out = tmp_path / "speed.json"
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "eval_batch_speed.py"), "--tiny", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "speed-up" in result.stdout
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert [row["batch_size"] for row in payload["results"]] == [1, 4]
    assert payload["all_identical"] is True
    assert payload["results"][0]["speedup"] == 1.0 and payload["results"][1]["speedup"] > 0
