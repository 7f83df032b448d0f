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


def test_merge_run_writes_the_bases_16_bit_dtype_and_reads_like_base_plus_adapter(reader_model_dir, trained_adapter):
    import torch

    from ocr_space.train.merge import card_dtype, merge_run

    run = trained_adapter.parent
    (run / "metrics.json").write_text(json.dumps({"cer_before": 0.5, "cer_after": 0.25, "eval_samples": 2,
                                                  "split": "test"}))
    merged = merge_run(run)
    assert merged == run / "merged"
    dtype = card_dtype(str(reader_model_dir))
    assert dtype in ("float16", "bfloat16") and json.loads((merged / "config.json").read_text())["dtype"] == dtype
    assert (merged / "metrics.json").is_file() and (merged / "training_config.yaml").is_file()  # for the card

    ids = torch.tensor([[5, 9, 17, 33, 12, 7]])
    with torch.no_grad():
        expected = load_model(str(reader_model_dir), adapter=str(trained_adapter), device="cpu").model(
            input_ids=ids).logits
        got = load_model(str(merged), device="cpu").model(input_ids=ids).logits
    # the same function, up to the 16-bit rounding of the merged weights
    assert torch.allclose(got.float(), expected.float(), atol=3e-2, rtol=3e-2)
    assert torch.equal(got.argmax(-1), expected.argmax(-1))


def test_a_v1_run_exports_the_official_layout_and_an_ocr2_run_is_told_why_not(tiny_v1_dir, small_dataset,
                                                                             trained_adapter, tmp_path, monkeypatch):
    from ocr_space.models.deepseek_ocr_v1.convert import is_official_v1_config

    monkeypatch.setenv("OCR_SPACE_CACHE", str(tmp_path / "cache"))  # loading the official layout converts it there
    from ocr_space.train.merge import export_official_v1

    result = train(TrainConfig(model=str(tiny_v1_dir), data=str(small_dataset), out=str(tmp_path / "v1-run"),
                               steps=1, batch_size=2, warmup_steps=0, save_steps=100, eval_samples=0,
                               gradient_checkpointing="off"))
    exported = export_official_v1(result.run_dir)
    assert exported == result.run_dir / "merged-v1"
    assert is_official_v1_config(json.loads((exported / "config.json").read_text()))
    assert load_model(str(exported), device="cpu").family.name == "deepseek-ocr"  # loads back (converted once)

    with pytest.raises(ConfigError, match="official v1 layout is for DeepSeek-OCR v1"):
        export_official_v1(trained_adapter.parent)
