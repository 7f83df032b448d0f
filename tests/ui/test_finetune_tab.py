"""The Fine-tune tab's handlers, called as Gradio calls them: start, watch, cancel, re-attach."""

import pytest

from ocr_space.train import RUNNER, RunDir, TrainConfig
from ocr_space.ui import finetune_tab


def _form(model, data, out, **advanced):
    """The form's values by name, as Gradio passes them (Number inputs give floats)."""
    values = {name: float(value) if type(value) is int else value
              for name, value in finetune_tab.preset_values("quick").items()}
    return {"model": str(model), "data": str(data), "out": str(out), "preset": "quick", **values, **advanced}


def test_the_form_defaults_are_the_quick_preset_and_the_command_matches():
    form = _form("/m", "/d", "")
    assert finetune_tab.form_config(form) == TrainConfig(model="/m", data="/d")
    assert finetune_tab.command_preview(**form) == "python -m ocr_space train --model /m --data /d"
    assert finetune_tab.preset_values("thorough")["steps"] == 300


def test_start_then_watch_a_run_to_its_adapter(reader_model_dir, small_dataset, tmp_path):
    form = _form(reader_model_dir, small_dataset, tmp_path / "run", steps=2, batch_size=1, grad_accum=1,
                 warmup_steps=0, eval_samples=2, gradient_checkpointing="off", train_modules="lm_head")
    picker = finetune_tab.start_training(**form)
    assert picker["value"] == str(tmp_path / "run")
    RUNNER.current.wait(300)

    progress, plot, metrics, adapter, log_tail = finetune_tab.refresh(picker["value"])
    assert progress.startswith("**done**") and "step 2/2 (100%)" in progress
    assert list(plot["step"]) == [1, 2]
    assert "CER before" in metrics and "→ after" in metrics and "on 2 test lines" in metrics
    assert adapter == str(tmp_path / "run" / "adapter")
    assert f"recognize --model {reader_model_dir} --adapter {adapter}" in metrics
    assert "step 2/2" in log_tail
    # a reloaded page re-attaches to the same run
    assert finetune_tab.initial_run()[0]["value"] == str(tmp_path / "run")


def test_a_bad_setting_is_shown_as_a_message_naming_the_field(reader_model_dir, small_dataset, tmp_path):
    import gradio as gr

    with pytest.raises(gr.Error, match="learning_rate"):
        finetune_tab.start_training(**_form(reader_model_dir, small_dataset, tmp_path / "run", learning_rate=-1))


def test_cancel_without_a_running_job_says_so(tmp_path):
    assert finetune_tab.cancel_training(str(tmp_path)) == finetune_tab.t("finetune.nothing_to_cancel")


def test_an_interrupted_run_shows_resume_hint(tmp_path):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    run = RunDir(tmp_path)
    run.update_status(state="training", step=4, max_steps=10, pid=int(dead.stdout))
    progress = finetune_tab.refresh(str(tmp_path))[0]
    assert "interrupted" in progress and "Resume" in progress


def test_the_app_has_a_fine_tune_tab():
    from ocr_space.ui.interface import TABS, build_app

    assert finetune_tab in TABS
    demo = build_app()
    assert {"train_start", "train_cancel", "train_resume", "train_status"} <= {
        dep.get("api_name") for dep in demo.config["dependencies"]}


def test_use_all_gpus_launches_one_process_per_gpu_where_there_are_several(monkeypatch, tmp_path):
    from ocr_space.train import launch

    launched = []

    class Launched:
        run_dir = tmp_path / "run"

    monkeypatch.setattr(launch, "launch_training", lambda config, processes, hub_token: launched.append(
        (config, processes, hub_token)) or Launched())
    monkeypatch.setattr(launch, "visible_gpus", lambda: 4)
    form = _form("/m", "/d", tmp_path / "run", all_gpus=True)

    picker = finetune_tab.start_training(**form)
    assert launched == [(finetune_tab.form_config(form), 4, None)]  # locally: this machine's own Hub lookup
    assert picker["value"] == str(tmp_path / "run")
    assert finetune_tab.command_preview(**form) == ("accelerate launch --multi_gpu --num_processes 4 -m ocr_space "
                                                    f"train --model /m --data /d --out {tmp_path / 'run'}")


def test_use_all_gpus_changes_nothing_on_one_gpu(monkeypatch):
    from ocr_space.train import launch

    monkeypatch.setattr(launch, "visible_gpus", lambda: 1)
    form = _form("/m", "/d", "", all_gpus=True)
    assert finetune_tab.launch_processes(form) == 1  # start_training then runs in this process, as without it
    assert finetune_tab.command_preview(**form) == "python -m ocr_space train --model /m --data /d"
