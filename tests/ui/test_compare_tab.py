"""The Compare tab through the running app's API, like any gradio_client user."""

from pathlib import Path

import pytest

DEFAULTS = dict(split="test", limit=3, adapter="", merged="", nfkc=True, fold_width=True, fold_punctuation=False,
                whitespace="cjk", batch_size=4, max_new_tokens=8, mode="small")


def _compare(client, **inputs):
    values = {**DEFAULTS, **inputs}
    return client.predict(values["data"], values["split"], values["limit"], values["model"], values["adapter"],
                          values["merged"], values["engines"], values["nfkc"], values["fold_width"],
                          values["fold_punctuation"], values["whitespace"], values["batch_size"],
                          values["max_new_tokens"], values["mode"], api_name="/compare")


def test_compare_tab_runs_engines_and_offers_the_reports(client, examples_dataset, tiny_model_dir):
    verdict, summary, chart, samples, confusions, files = _compare(
        client, data=str(examples_dataset), model=str(tiny_model_dir), engines=["base", "tesseract"])
    assert "tesseract" in verdict and "base" in verdict and "interval" in verdict
    engines = [row[0] for row in summary["data"]]
    assert engines == ["base", "tesseract"]
    assert "baseline" in summary["data"][0]
    assert chart["sort"] == ["base", "tesseract"]  # bars in the engines' order, baseline first
    assert [row[0] for row in chart["value"]["data"]] == ["base", "tesseract"]
    assert chart["value"]["data"][1][1] == summary["data"][1][1]  # the bar is the table's CER %
    assert "<table" in samples and "diff" in samples
    assert confusions["headers"][:2] == ["reference", "hypothesis"]
    assert sorted(Path(f).name for f in files) == ["report.csv", "report.html", "report.json"]


def test_compare_tab_asks_for_an_adapter_when_tuned_is_ticked(client, examples_dataset, tiny_model_dir):
    with pytest.raises(Exception) as caught:
        _compare(client, data=str(examples_dataset), model=str(tiny_model_dir), engines=["base", "tuned"])
    assert "adapter" in str(caught.value) and "Traceback" not in str(caught.value)


def test_compare_tab_reports_a_missing_dataset_as_a_message(client, tmp_path, tiny_model_dir):
    with pytest.raises(Exception) as caught:
        _compare(client, data=str(tmp_path / "nowhere"), model=str(tiny_model_dir), engines=["base"])
    assert "Dataset folder not found" in str(caught.value)


def test_with_persistent_storage_the_reports_are_kept_there(examples_dataset, tiny_model_dir, tmp_path, monkeypatch):
    from ocr_space.ui.compare_tab import run_compare

    monkeypatch.setenv("OCR_SPACE_DATA", str(tmp_path / "data"))
    values = {**DEFAULTS, "data": str(examples_dataset), "model": str(tiny_model_dir), "engines": ["base"]}
    *_, files = run_compare(progress=lambda *args, **kwargs: None, **values)
    [report] = (tmp_path / "data" / "ocr-space" / "reports").iterdir()
    assert {Path(file).name for file in files} == {"report.json", "report.csv", "report.html"}
    assert (report / "report.json").is_file()
