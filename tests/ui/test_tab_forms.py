"""The tabs' forms as the app builds them: inputs named after the settings they fill, in the API too."""

from dataclasses import fields

import pytest

from ocr_space.data.synth import Degradations
from ocr_space.evaluation.normalize import Normalization
from ocr_space.train import TrainConfig
from ocr_space.ui import finetune_tab
from ocr_space.ui.model_field import default_model, mode_choices


@pytest.fixture(scope="module")
def app():
    from ocr_space.ui.interface import build_app

    return build_app()


def _parameters(app, endpoint: str) -> list[str]:
    return [p["parameter_name"] for p in app.get_api_info()["named_endpoints"][endpoint]["parameters"]]


def _choices(app, endpoint: str, name: str) -> list:
    """The choices of the dropdown that fills ``endpoint``'s parameter ``name``."""
    [dependency] = [d for d in app.config["dependencies"] if d.get("api_name") == endpoint.lstrip("/")]
    component_id = dependency["inputs"][_parameters(app, endpoint).index(name)]
    [component] = [c for c in app.config["components"] if c["id"] == component_id]
    return [value for _, value in component["props"]["choices"]]


def test_the_fine_tune_form_is_train_config_fields_and_the_preset(app):
    names = _parameters(app, "/train_start")
    assert names == ["model", "data", "out", "preset", *finetune_tab.ADVANCED_FIELDS, "all_gpus",
                     *finetune_tab.FINISH_FIELDS]
    assert set(names) - {"preset", "all_gpus"} <= {f.name for f in fields(TrainConfig)}


def test_the_fine_tune_form_reads_values_by_name_not_position():
    values = {**finetune_tab.preset_values("thorough"), "model": "/m", "data": "/d", "out": "", "preset": "quick"}
    backwards = dict(reversed(list(values.items())))
    assert finetune_tab.form_config(backwards) == finetune_tab.form_config(values)
    assert finetune_tab.form_config(values).steps == 300 and finetune_tab.form_config(values).lora_r == 32


def test_compare_and_synth_forms_use_their_settings_names(app):
    assert {f.name for f in fields(Normalization)} <= set(_parameters(app, "/compare"))
    synth = _parameters(app, "/build_dataset_synth")
    assert {f.name for f in fields(Degradations)} <= set(synth) and "n" in synth
    assert "n" not in _parameters(app, "/dataset_synth_preview")  # the preview renders 8 lines whatever n is


def test_the_mode_dropdowns_offer_the_default_models_family(app):
    assert _choices(app, "/train_start", "mode") == mode_choices(default_model(), finetune_tab.DEFAULT_MODE)
    for endpoint in ("/compare", "/recognize"):
        assert _choices(app, endpoint, "mode") == mode_choices(default_model(), "default")


def test_the_mode_dropdowns_follow_a_v1_model_as_the_pre_filled_one(model_folders, monkeypatch):
    from ocr_space.ui.interface import build_app

    monkeypatch.setenv("OCR_SPACE_MODEL", str(model_folders["deepseek-ocr"]))
    app = build_app()
    for endpoint in ("/train_start", "/compare", "/recognize"):
        assert "gundam" in _choices(app, endpoint, "mode") and "tiles" not in _choices(app, endpoint, "mode")


def test_each_mode_dropdown_follows_its_model_field(app):
    """Whatever is typed into a model field re-offers the modes: one change event from it to the mode dropdown."""
    for endpoint in ("/train_start", "/compare", "/recognize"):
        [dependency] = [d for d in app.config["dependencies"] if d.get("api_name") == endpoint.lstrip("/")]
        names = _parameters(app, endpoint)
        model, mode = (dependency["inputs"][names.index(name)] for name in ("model", "mode"))
        follows = [d for d in app.config["dependencies"]
                   if [tuple(target) for target in d["targets"]] == [(model, "change")] and d["outputs"] == [mode]]
        assert len(follows) == 1


def test_the_equivalent_command_follows_every_fine_tune_field(app):
    """The preview runs on page load and on a change of any input of the form, read by name like Start."""
    [start] = [d for d in app.config["dependencies"] if d.get("api_name") == "train_start"]
    [preview] = [d for d in app.config["dependencies"]
                 if d["inputs"] == start["inputs"] and d is not start and d.get("api_name") != "train_start"]
    changed = {target[0] for target in preview["targets"] if target[1] == "change"}
    assert changed == set(start["inputs"]) and any(target[1] == "load" for target in preview["targets"])


def test_the_dataset_endpoints_name_their_inputs_after_the_settings(app):
    settings = ["name", "prefix", "split", "seed", "max_mp", "min_side"]
    columns = ["image_column", "text_column", "split_column"]
    assert _parameters(app, "/build_dataset_files") == ["files", *settings, *columns]
    assert _parameters(app, "/build_dataset_existing") == ["source", "source_split", *settings, *columns]
    assert _parameters(app, "/build_dataset_table") == ["table", *settings]  # the image paths are a State
