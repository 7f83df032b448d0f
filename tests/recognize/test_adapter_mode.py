"""An adapter is read in the mode it was trained in: training records it; Recognize, eval and Compare default to it."""

import json

import pytest
import yaml

from ocr_space.models.adapter_mode import RESOLUTION_FILE, read_adapter_mode

CHARACTERS = "一二三四"
TRAIN_LINES = ["一二", "三四", "二三", "四一", "一三", "二四"]
TEST_LINES = ["三一", "四二"]


def _write_dataset(folder):
    import datasets

    from ocr_space.data.fonts import require_cjk_fonts
    from ocr_space.data.splits import write_split
    from ocr_space.data.synth import render_line

    font = require_cjk_fonts()[0]
    for split, lines in (("train", TRAIN_LINES), ("test", TEST_LINES)):
        dataset = datasets.Dataset.from_dict({"image": [render_line(line, font, font_size=28) for line in lines],
                                              "text": lines})
        write_split(dataset.cast_column("image", datasets.Image()), folder, split)
    return folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny model and an adapter trained two steps with the mode left empty (= the family's training mode)."""
    from ocr_space.testing import build_tiny_model
    from ocr_space.train import TrainConfig, train

    root = tmp_path_factory.mktemp("adapter-mode")
    model = build_tiny_model(root / "model", characters=CHARACTERS)
    data = _write_dataset(root / "data")
    result = train(TrainConfig(model=str(model), data=str(data), out=str(root / "run"), steps=2, batch_size=2,
                               grad_accum=1, warmup_steps=0, save_steps=100, eval_samples=0,
                               gradient_checkpointing="off", device="cpu"))
    return model, result.adapter, data


def test_training_records_the_resolved_mode_and_its_sizes(trained):
    from ocr_space.models.registry import get_family

    _, adapter, _ = trained
    family = get_family("deepseek-ocr-2")
    assert family.training_mode != family.default_mode  # otherwise this file would test nothing
    assert yaml.safe_load((adapter / "training_config.yaml").read_text())["mode"] == family.training_mode
    record = json.loads((adapter / RESOLUTION_FILE).read_text())
    assert record == {"family": "deepseek-ocr-2", "mode": family.training_mode, "view_side": 192,
                      "tile_side": None, "max_tiles": 0}


def test_recognize_reads_in_the_training_mode_unless_told_otherwise(trained, example_lines):
    from ocr_space.models import load_model
    from ocr_space.recognize import recognize

    model, adapter, _ = trained
    loaded = load_model(str(model), adapter=str(adapter), device="cpu")
    assert loaded.adapter_mode == "small" and loaded.describe()["adapter_mode"] == "small"
    assert recognize(loaded, example_lines[0], max_new_tokens=2).mode == "small"
    assert recognize(loaded, example_lines[0], max_new_tokens=2, mode="tiles").mode == "tiles"


def test_eval_reads_in_the_training_mode_and_the_report_names_it(trained, tmp_path):
    from ocr_space.evaluation.compare import evaluate

    model, adapter, data = trained
    report = evaluate(str(model), str(data), adapter=str(adapter), max_new_tokens=4, device="cpu",
                      out=tmp_path / "eval")
    assert report.engines[0].description["mode"] == "small"
    assert report.settings["mode"] == "small" and "trained in" in report.settings["mode_note"]
    assert "mode &#39;small&#39;, the mode" in (tmp_path / "eval" / "report.html").read_text()  # escaped quotes


def test_compare_reads_the_base_model_in_the_tuned_models_mode(trained, tmp_path):
    from ocr_space.evaluation.compare import compare

    model, adapter, data = trained
    report = compare(str(data), [f"base={model}", f"tuned={model}+{adapter}"], max_new_tokens=4, device="cpu",
                     out=tmp_path / "compare")
    assert [engine.description["mode"] for engine in report.engines] == ["small", "small"]
    assert report.settings["mode"] == "small"
    assert "tuned" in report.settings["mode_note"] and "base model" in report.settings["mode_note"]
    assert json.loads((tmp_path / "compare" / "report.json").read_text())["settings"]["mode_note"] == \
        report.settings["mode_note"]


def test_a_chosen_mode_wins_for_every_engine(trained):
    from ocr_space.evaluation.compare import compare

    model, adapter, data = trained
    report = compare(str(data), [f"base={model}", f"tuned={model}+{adapter}"], max_new_tokens=2, device="cpu",
                     mode="tiles", limit=1)
    assert [engine.description["mode"] for engine in report.engines] == ["tiles", "tiles"]


def test_adapters_from_before_the_record_were_trained_in_the_family_training_mode(tmp_path):
    from ocr_space.models.registry import get_family

    family = get_family("deepseek-ocr-2")
    (tmp_path / "training_config.yaml").write_text("model: m\nmode: ''\n")
    assert read_adapter_mode(str(tmp_path), family) == family.training_mode
    (tmp_path / "training_config.yaml").unlink()
    assert read_adapter_mode(str(tmp_path), family) is None  # an adapter made elsewhere records nothing
    (tmp_path / RESOLUTION_FILE).write_text(json.dumps({"mode": "no-such-mode"}))
    assert read_adapter_mode(str(tmp_path), family) is None


def test_a_merged_model_keeps_the_adapters_mode(trained, tmp_path, example_lines):
    from ocr_space.evaluation.compare import compare
    from ocr_space.models import load_model
    from ocr_space.recognize import recognize
    from ocr_space.train import merge

    model, adapter, data = trained
    merged = merge(str(model), str(adapter), tmp_path / "merged", device="cpu")
    loaded = load_model(str(merged), device="cpu")
    assert loaded.adapter is None and loaded.adapter_mode == "small"
    assert recognize(loaded, example_lines[0], max_new_tokens=2).mode == "small"
    report = compare(str(data), [f"base={model}", f"merged={merged}"], max_new_tokens=2, device="cpu", limit=1)
    assert [engine.description["mode"] for engine in report.engines] == ["small", "small"]
    assert "merged" in report.settings["mode_note"]
