"""TrainConfig: the reference defaults, validation that names the field, presets, the equivalent CLI command."""

import pytest
import yaml

from ocr_space.cli.train_flags import equivalent_command
from ocr_space.errors import ConfigError
from ocr_space.train.oom import oom_message
from ocr_space.train.plan import resolve_optimizer, resolve_precision
from ocr_space.train.recipe import PRESETS, TrainConfig, preset


def test_defaults_are_the_reference_recipe():
    config = TrainConfig(model="m", data="d").validate()
    assert (config.lora_r, config.lora_alpha, config.lora_dropout) == (16, 16, 0.0)
    # the reference's 2 x 4 = 8 samples per optimizer step, run as one micro-batch
    assert (config.learning_rate, config.batch_size * config.grad_accum) == (2e-4, 8)
    assert (config.warmup_steps, config.steps, config.lr_scheduler) == (5, 60, "linear")
    assert (config.weight_decay, config.seed) == (0.001, 3407)


@pytest.mark.parametrize("field, value", [
    ("model", ""), ("data", " "), ("steps", 0), ("steps", 2.5), ("batch_size", -1), ("grad_accum", 0),
    ("learning_rate", 0), ("learning_rate", "fast"), ("weight_decay", 1.5), ("lora_r", 0), ("lora_dropout", 0.1),
    ("warmup_steps", -1), ("lr_scheduler", "zigzag"), ("optim", "lion"), ("precision", "fp8"),
("max_length", 0), ("save_steps", 0), ("eval_samples", -1), ("train_modules", "lm_head"),
    ("load_in_4bit", "yes"), ("report_to", "wandb"), ("push_kind", "gguf"), ("push_private", "no"),
])
def test_a_bad_value_is_rejected_naming_its_field(field, value):
    config = TrainConfig(model="m", data="d").replace(**{field: value})
    with pytest.raises(ConfigError, match=rf"^{field}:"):
        config.validate()


def test_dropout_is_allowed_when_experts_are_not_adapted():
    assert TrainConfig(model="m", data="d", lora_dropout=0.1, lora_experts=False).validate().lora_dropout == 0.1


def test_unknown_settings_are_an_error_not_ignored(tmp_path):
    with pytest.raises(ConfigError, match="unknown training setting.*stepz"):
        TrainConfig.from_dict({"model": "m", "stepz": 3})
    (tmp_path / "run.yaml").write_text("model: m\nlearning_rte: 0.1\n")
    with pytest.raises(ConfigError, match="learning_rte"):
        TrainConfig.from_yaml(tmp_path / "run.yaml")


def test_yaml_round_trip(tmp_path):
    config = TrainConfig(model="m", data="d", steps=7, train_modules=["lm_head"], mode="small")
    assert TrainConfig.from_yaml(config.to_yaml(tmp_path / "c.yaml")) == config


def test_presets_quick_is_the_reference_fast_batches_more_and_thorough_trains_longer():
    assert preset("quick", model="m", data="d") == TrainConfig(model="m", data="d")
    thorough = preset("Thorough", model="m", data="d").validate()
    assert thorough.steps > TrainConfig().steps and thorough.lora_r >= TrainConfig().lora_r
    assert set(PRESETS) == {"quick", "fast", "thorough"}
    fast = preset("fast", model="m", data="d").validate()
    assert fast.batch_size * fast.grad_accum > TrainConfig().batch_size * TrainConfig().grad_accum
    with pytest.raises(ConfigError, match="preset"):
        preset("fastest")


def test_the_equivalent_command_parses_back_to_the_same_config():
    from ocr_space.cli import build_parser
    from ocr_space.cli.train_cmd import config_from_args

    config = TrainConfig(model="/m", data="/d", out="/r", steps=9, learning_rate=0.003, train_modules=["lm_head", "x"],
                         gradient_checkpointing="off", mode="small")
    command = equivalent_command(config)
    assert command.startswith("python -m ocr_space train --model /m --data /d --out /r")
    args = build_parser().parse_args(command.split()[3:])
    assert config_from_args(args) == config


def test_cpu_runs_use_plain_adamw_and_fp32():
    import torch

    config = TrainConfig(model="m", data="d")
    assert resolve_optimizer(config, "cpu") == "adamw_torch"
    assert resolve_precision(config, "cpu").dtype == torch.float32
    with pytest.raises(ConfigError, match="^optim:"):
        resolve_optimizer(config.replace(optim="adamw_8bit"), "cpu")
    assert resolve_optimizer(config, "cuda:0") == "adamw_torch_fused"  # 8-bit AdamW waits for the GPU per parameter
    assert resolve_optimizer(config.replace(optim="adamw_torch"), "cuda:0") == "adamw_torch"
    with pytest.raises(ConfigError, match="^precision:"):
        resolve_precision(config.replace(precision="fp16"), "cpu")


def test_the_oom_message_names_the_cause_and_this_runs_fixes():
    message = oom_message(TrainConfig(model="m", data="d", batch_size=4, mode="tiles"), "tiles")
    assert "out of memory" in message
    for fix in ("batch_size (now 4", "resolution mode 'small'", "max_length", "load_in_4bit"):
        assert fix in message


def test_decoder_checkpointing_keeps_only_language_model_layers(tiny_model_dir):
    from transformers import AutoModelForImageTextToText

    from ocr_space.train.callbacks import DecoderOnlyCheckpointing

    model = AutoModelForImageTextToText.from_pretrained(str(tiny_model_dir))
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    DecoderOnlyCheckpointing().on_train_begin(None, None, None, model=model)
    flags = {name: module.gradient_checkpointing for name, module in model.named_modules()
             if hasattr(module, "gradient_checkpointing") and ".layers." in name}
    assert flags and all(on == ("language_model" in name) for name, on in flags.items())
    assert any(flags.values()) and not all(flags.values())


def test_auto_checkpointing_is_off_on_cpu_and_explicit_choices_win():
    from ocr_space.train.plan import resolve_checkpointing

    assert resolve_checkpointing(TrainConfig(model="m", data="d"), None) == "off"
    assert resolve_checkpointing(TrainConfig(model="m", data="d", gradient_checkpointing="decoder"), None) == "decoder"
    assert resolve_checkpointing(TrainConfig(model="m", data="d", gradient_checkpointing="off"), 8 * 2**30) == "off"


def test_auto_checkpointing_without_the_probe_follows_this_processes_gpu_budget():
    from ocr_space.train.plan import resolve_checkpointing
    from ocr_space.train.recipe import CHECKPOINTING_BELOW_GIB

    config = TrainConfig(model="m", data="d")
    assert resolve_checkpointing(config, (CHECKPOINTING_BELOW_GIB - 1) * 2**30) == "on"
    assert resolve_checkpointing(config, (CHECKPOINTING_BELOW_GIB + 1) * 2**30) == "off"


@pytest.mark.parametrize("value", ["auto", "peft"])
def test_a_run_folder_from_before_the_unsloth_path_went_still_reads(tmp_path, value):
    saved = TrainConfig(model="m", data="d").as_dict() | {"backend": value}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(saved), encoding="utf-8")
    assert TrainConfig.from_yaml(path).as_dict() == TrainConfig(model="m", data="d").as_dict()
    assert "backend" not in TrainConfig.from_dict(saved).as_dict()


def test_asking_for_the_removed_unsloth_path_says_why_it_went():
    with pytest.raises(ConfigError, match=r"^backend: the Unsloth training path was removed.*0\.70x"):
        TrainConfig.from_dict({"model": "m", "data": "d", "backend": "unsloth"})
    with pytest.raises(ConfigError, match="unknown training setting"):
        TrainConfig(model="m", data="d").replace(backend="peft")
