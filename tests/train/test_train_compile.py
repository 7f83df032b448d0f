"""Regional torch.compile of the repeated layers: when it applies, and the same loss curve as eager."""

import importlib

import pytest
import torch

from ocr_space.train import RunDir, TrainConfig, train

compile_module = importlib.import_module("ocr_space.train.compile")


def test_auto_stays_off_and_says_why():
    for device in ("cpu", "cuda"):
        wanted, note = compile_module.compile_decision("auto", device)
        assert not wanted and note == compile_module.AUTO_OFF_REASON
    wanted, note = compile_module.compile_decision("off", "cuda")
    assert not wanted and "off" in note
    assert compile_module.compile_decision("on", "cpu")[0]


def test_bare_on_off_from_yaml_are_read_as_settings():
    assert TrainConfig(model="m", data="d", compile=False).validate().compile == "off"
    assert TrainConfig(model="m", data="d", compile=True).validate().compile == "on"


def test_the_repeated_layers_are_the_models_blocks(tiny_loaded):
    layers = compile_module.repeated_layers(tiny_loaded.model)
    names = {type(layer).__name__ for layer in layers}
    assert {"DeepseekOcr2SamVisionLayer", "DeepseekOcr2VisionEncoderLayer", "DeepseekOcr2TextDecoderLayer"} <= names
    config = tiny_loaded.model.config
    assert len(layers) == (config.vision_config.sam_config.num_hidden_layers
                           + config.vision_config.encoder_config.num_hidden_layers
                           + config.text_config.num_hidden_layers)


def _losses(model_dir, data_dir, out, compile_setting: str) -> tuple[list[float], dict]:
    config = TrainConfig(model=str(model_dir), data=str(data_dir), out=str(out), steps=3, batch_size=2,
                         grad_accum=1, warmup_steps=0, save_steps=50, eval_samples=0, gradient_checkpointing="off",
                         compile=compile_setting)
    train(config)
    events = RunDir(out).read_events()
    return [event["loss"] for event in events], RunDir(out).read_status()["compile"]


def test_compiled_layers_train_the_same_loss_curve(reader_model_dir, small_dataset, tmp_path, monkeypatch):
    """dynamo + AOTAutograd graphs of every layer, forward and backward, run with eager kernels: same numbers."""
    eager, status = _losses(reader_model_dir, small_dataset, tmp_path / "eager", "off")
    assert status["applied"] is False
    monkeypatch.setattr(compile_module, "BACKEND", "aot_eager")
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()
    compiled, status = _losses(reader_model_dir, small_dataset, tmp_path / "compiled", "on")
    assert status["applied"] is True and status["layers"] >= 6
    assert torch._dynamo.utils.counters["stats"]["unique_graphs"] >= 3  # SAM, vision encoder, decoder layers
    assert len(eager) == len(compiled) == 3
    assert compiled == pytest.approx(eager, rel=1e-5, abs=1e-6)
    torch._dynamo.reset()
