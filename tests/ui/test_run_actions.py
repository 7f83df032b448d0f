"""The Fine-tune tab's run actions: Merge offers a 16-bit folder that reads like base + adapter, its push goes to
the Hub with the visitor's token, and the interrupted runs are listed with where Resume continues."""

import shutil

import torch

from ocr_space.models import load_model
from ocr_space.train import RunDir, TrainConfig
from ocr_space.ui import finetune_tab, run_actions


def _run(run_dir, tiny_model_dir, tmp_path):
    """The hub fixtures' finished run (a random LoRA on the tiny model), with the config.yaml a real run has."""
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    TrainConfig(model=str(tiny_model_dir), data="d").to_yaml(run / "config.yaml")
    RunDir(run).update_status(state="done", step=3, max_steps=3)
    return run


def test_merge_offers_a_16_bit_folder_with_the_logits_of_base_plus_adapter(run_dir, tiny_model_dir, tmp_path):
    run = _run(run_dir, tiny_model_dir, tmp_path)
    message, files = finetune_tab._run_action("merged", push=False)(str(run))  # the Merge button's handler
    assert f"`{run / 'merged'}`" in message
    assert {"config.json", "model.safetensors", "metrics.json"} <= {name.rsplit("/", 1)[-1] for name in files}

    ids = torch.tensor([[5, 9, 17, 33, 12, 7]])
    with torch.no_grad():
        expected = load_model(str(tiny_model_dir), adapter=str(run / "adapter"), device="cpu").model(
            input_ids=ids).logits
        got = load_model(str(run / "merged"), device="cpu").model(input_ids=ids).logits
    assert torch.allclose(got.float(), expected.float(), atol=3e-2, rtol=3e-2)
    assert not torch.allclose(expected, load_model(str(tiny_model_dir), device="cpu").model(input_ids=ids).logits)


def test_the_merged_model_is_pushed_with_the_token_given(hub, run_dir, tiny_model_dir, tmp_path):
    run = _run(run_dir, tiny_model_dir, tmp_path)
    result = run_actions.push_product(str(run), "merged", "ocr-merged", True, hub.token)
    assert "/alice/ocr-merged" in result
    repo = hub.state.repo("alice/ocr-merged")
    assert {"config.json", "model.safetensors", "README.md"} <= set(repo.files) and repo.private


def test_an_unfinished_run_cannot_be_merged(tmp_path):
    import pytest

    from ocr_space.errors import ConfigError

    (tmp_path / "run").mkdir()
    with pytest.raises(ConfigError, match="no finished adapter"):
        run_actions.make(str(tmp_path / "run"), "merged")


def test_interrupted_runs_are_listed_with_where_they_resume(tmp_path):
    run = RunDir(tmp_path / "lines")
    (run.checkpoints / "checkpoint-4").mkdir(parents=True)
    (run.checkpoints / "checkpoint-4" / "trainer_state.json").write_text("{}")
    run.update_status(state="training", step=5, max_steps=60, pid=2**22 + 3)
    text = run_actions.interrupted_markdown(tmp_path)
    assert "Interrupted runs** (1)" in text and "`lines`: step 5/60, resumes from checkpoint-4" in text
    run.update_status(state="done")
    assert run_actions.interrupted_markdown(tmp_path) == ""
