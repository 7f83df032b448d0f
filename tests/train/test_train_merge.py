"""`merge`: a standalone 16-bit model folder that loads without PEFT and reads like base + adapter."""

import json

import pytest
from peft import PeftModel

from ocr_space.errors import ConfigError
from ocr_space.models import load_model
from ocr_space.recognize import recognize_batch
from ocr_space.train import TrainConfig, merge, train


@pytest.fixture(scope="module")
def trained_adapter(reader_model_dir, small_dataset, tmp_path_factory):
    """A few high-lr steps: an adapter (LoRA incl. experts + a trained lm_head) that changes the output."""
    out = tmp_path_factory.mktemp("merge") / "run"
    result = train(TrainConfig(model=str(reader_model_dir), data=str(small_dataset), out=str(out), steps=4,
                               batch_size=2, grad_accum=1, warmup_steps=0, learning_rate=0.02, save_steps=100,
                               eval_samples=0, gradient_checkpointing="off", train_modules=["lm_head"]))
    return result.adapter


def _greedy(loaded, images):
    return [r.text for r in recognize_batch(loaded, images, max_new_tokens=6, mode="small")]


def test_merged_model_loads_without_peft_and_matches_base_plus_adapter(reader_model_dir, trained_adapter,
                                                                        small_dataset, tmp_path):
    from ocr_space.data.splits import load_split

    images = [row["image"] for row in load_split(small_dataset, "test")]
    with_adapter = load_model(str(reader_model_dir), adapter=str(trained_adapter), device="cpu")
    expected = _greedy(with_adapter, images)
    assert expected != _greedy(load_model(str(reader_model_dir), device="cpu"), images)  # the adapter matters

    out = merge(str(reader_model_dir), str(trained_adapter), tmp_path / "merged")
    assert not (out / "adapter_config.json").exists()
    assert json.loads((out / "config.json").read_text())["dtype"] == "float16"
    merged = load_model(str(out), device="cpu")
    assert not isinstance(merged.model, PeftModel) and merged.adapter is None
    assert _greedy(merged, images) == expected


def test_merge_refuses_to_overwrite_a_model_folder(reader_model_dir, trained_adapter):
    with pytest.raises(ConfigError, match="already holds a model"):
        merge(str(reader_model_dir), str(trained_adapter), reader_model_dir)
