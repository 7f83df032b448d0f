"""Forms by setting name: components keyed by the setting they fill, labels and help from one place."""

from dataclasses import dataclass, field

import gradio as gr
import pytest

from ocr_space.ui.form import Form, field_help, field_values
from ocr_space.ui.strings import t


@dataclass
class FakeSettings:
    """Stands in for a settings dataclass whose fields carry help (TrainConfig's will)."""

    steps: int = field(default=60, metadata={"help": "optimizer updates in the run"})
    seed: int = 0
    learning_rate: float = 2e-4
    load_in_4bit: bool = False
    train_modules: list = field(default_factory=list)
    mode: str = ""


def test_field_help_reads_the_field_metadata_and_is_none_without_it():
    assert field_help(FakeSettings, "steps") == "optimizer updates in the run"
    assert field_help(FakeSettings, "seed") is None
    with pytest.raises(KeyError, match="no field 'nope'"):
        field_help(FakeSettings, "nope")


def test_a_form_keeps_its_components_by_setting_name_in_build_order():
    with gr.Blocks():
        form = Form("finetune", FakeSettings)
        steps = form.field("steps", gr.Number, precision=0)
        seed = form.field("seed", gr.Number, precision=0)
        model = form.field("model", gr.Textbox)  # not a field of the settings: a label, no help
    assert list(form) == ["steps", "seed", "model"]
    assert form.inputs == {"steps": steps, "seed": seed, "model": model}
    assert form.components == [steps, seed, model]
    assert form["seed"] is seed and "steps" in form and len(form) == 3


def test_labels_come_from_the_strings_table_and_help_from_the_field():
    with gr.Blocks():
        form = Form("finetune", FakeSettings)
        steps = form.field("steps", gr.Number)
        seed = form.field("seed", gr.Number)
        named = form.field("mode", gr.Textbox, label="explicit", info="given")
    assert steps.label == t("finetune.steps") and steps.info == "optimizer updates in the run"
    assert seed.label == t("finetune.seed") and seed.info is None
    assert (named.label, named.info) == ("explicit", "given")


def test_a_label_missing_from_the_strings_table_fails_at_build_time():
    with gr.Blocks(), pytest.raises(KeyError, match="finetune.no_such_setting"):
        Form("finetune").field("no_such_setting", gr.Textbox)


def test_joined_forms_keep_both_orders_and_refuse_a_name_twice():
    with gr.Blocks():
        first, second = Form("dataset"), Form("dataset")
        first.field("name", gr.Textbox, label="name")
        second.field("seed", gr.Number)
        joined = first | second
        assert list(joined) == ["name", "seed"]
        with pytest.raises(ValueError, match="already has a 'seed'"):
            joined | second
        with pytest.raises(ValueError, match="already has a 'name'"):
            first.add("name", gr.Textbox())


def test_updates_turn_values_by_name_into_values_by_component():
    with gr.Blocks():
        form = Form("finetune", FakeSettings)
        steps, seed = form.field("steps", gr.Number), form.field("seed", gr.Number)
    assert form.updates({"seed": 7, "steps": 300}) == {seed: 7, steps: 300}


def test_field_values_convert_gradio_values_to_the_field_types_by_name():
    values = {"steps": 300.0, "seed": 2.5, "learning_rate": 1, "load_in_4bit": 1, "train_modules": " lm_head, ,x",
              "mode": None, "preset": "quick"}
    assert field_values(FakeSettings, values) == {
        "steps": 300,  # Gradio's Number gives floats
        "seed": 2.5,  # not a whole number: passed on so the settings' validation names the field
        "learning_rate": 1.0, "load_in_4bit": True, "train_modules": ["lm_head", "x"],
        "mode": "",  # an empty dropdown: the default
    }  # and "preset", no field of FakeSettings, is left to the caller
    assert field_values(FakeSettings, {"steps": None}) == {"steps": None}
