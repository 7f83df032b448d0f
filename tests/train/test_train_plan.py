"""The training plan: every decision made once before any weights load, frozen, recorded, and only read after."""

import dataclasses

import pytest
import torch

from ocr_space.errors import ConfigError, ModelLoadError
from ocr_space.train import RunDir, TrainConfig, train
from ocr_space.train import plan as plan_module
from ocr_space.train.compile import AUTO_OFF_REASON
from ocr_space.train.memory_fit import FitResult, MemoryPlan
from ocr_space.train.plan import resolve_plan


def cpu_config(model_dir, **changes) -> TrainConfig:
    return TrainConfig(model=str(model_dir), data="unused", device="cpu", **changes)


def test_a_cpu_plan_resolves_every_auto_before_loading(reader_model_dir):
    config = cpu_config(reader_model_dir, batch_size=4, grad_accum=2)
    plan = resolve_plan(config)
    assert (plan.device, plan.precision.dtype, plan.optim) == ("cpu", torch.float32, "adamw_torch")
    assert not plan.precision.autocast
    assert (plan.mode, plan.family.name) == ("small", "deepseek-ocr-2")
    assert plan.memory == MemoryPlan(4, 2, "off") and plan.samples_per_step == 8
    assert not plan.probe_memory and plan.gpu_budget_bytes is None


def test_the_plan_is_frozen_and_the_memory_probe_answers_with_a_new_plan(reader_model_dir):
    plan = resolve_plan(cpu_config(reader_model_dir))
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.optim = "sgd"
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.precision.fp16 = True
    with pytest.raises(ValueError, match="does not probe memory"):
        plan.with_memory(FitResult(MemoryPlan(1, 8, "on")))

    probing = dataclasses.replace(plan, memory=None, probe_memory=True)
    attempts = [{"plan": "8 x 1, checkpointing off", "fits": False, "why": "out of memory"}]
    fitted = probing.with_memory(FitResult(MemoryPlan(4, 2, "on"), attempts))
    assert fitted.memory == MemoryPlan(4, 2, "on") and fitted.memory_probe == tuple(attempts)
    assert probing.memory is None and probing.memory_probe is None
    assert fitted.as_dict()["memory_probe"] == attempts and fitted.as_dict()["batch_size"] == 4


@pytest.mark.parametrize("changes, error, field", [
    ({"mode": "huge"}, ModelLoadError, "Unknown resolution mode 'huge'"),
    ({"load_in_4bit": True}, ConfigError, "^load_in_4bit:"),
    ({"precision": "bf16"}, ConfigError, "^precision:"),
])
def test_a_setting_this_machine_cannot_run_fails_while_planning(reader_model_dir, changes, error, field):
    with pytest.raises(error, match=field):
        resolve_plan(cpu_config(reader_model_dir, **changes))


def test_probing_is_only_for_cuda_runs_without_decoder_checkpointing_or_4bit():
    config = TrainConfig(model="m", data="d")
    assert plan_module.probes_memory(config, "cuda:0")
    assert not plan_module.probes_memory(config, "cpu")
    assert not plan_module.probes_memory(config.replace(gradient_checkpointing="decoder"), "cuda:0")
    assert not plan_module.probes_memory(config.replace(load_in_4bit=True), "cuda:0")
    assert not plan_module.probes_memory(config.replace(fit_to_memory=False), "cuda:0")


def test_a_run_resolves_its_plan_once_and_records_it_in_status(reader_model_dir, small_dataset, tmp_path, monkeypatch):
    from ocr_space.train import job

    calls: dict[str, int] = {}

    def counted(module, name):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    # job.py asks the plan module once and holds none of its resolvers itself
    assert not any(hasattr(job, name) for name in ("resolve_precision", "resolve_optimizer", "resolve_checkpointing",
                                                   "gpu_budget_bytes", "pick_device"))
    counted(job, "resolve_plan")
    for name in ("resolve_precision", "resolve_optimizer", "resolve_checkpointing",
                 "gpu_budget_bytes", "compile_decision", "vision_graph_decision"):
        counted(plan_module, name)
    config = TrainConfig(model=str(reader_model_dir), data=str(small_dataset), out=str(tmp_path / "run"), steps=1,
                         batch_size=2, grad_accum=1, warmup_steps=0, save_steps=50, eval_samples=0, device="cpu")
    result = train(config)

    assert result.state == "done"
    assert calls == dict.fromkeys(["resolve_plan", "resolve_precision", "resolve_optimizer",
                                   "resolve_checkpointing", "gpu_budget_bytes", "compile_decision",
                                   "vision_graph_decision"], 1)
    recorded = RunDir(tmp_path / "run").read_status()["plan"]
    assert recorded == {"device": "cpu", "dtype": "float32", "fp16": False, "bf16": False, "optim": "adamw_torch",
                        "family": "deepseek-ocr-2", "mode": "small", "batch_size": 2, "grad_accum": 1,
                        "gradient_checkpointing": "off", "probe_memory": False, "memory_probe": None,
                        "gpu_budget_gib": None, "compile": False, "compile_note": AUTO_OFF_REASON,
                        "vision_graph": False, "vision_graph_note": "CUDA graphs need a CUDA device, not cpu",
                        "decoder_graph": False,
                        "world_size": 1, "strategy": "none", "samples_per_step": 2, "warmup_steps": 0,
                        "report_to": "none"}


def test_the_memory_probes_answer_is_what_the_trainer_runs(reader_model_dir, small_dataset, tmp_path, monkeypatch):
    """The CUDA-only probe path, on CPU: the GPU call is injected (memory_fit's design), the rest is real."""
    from ocr_space.train import job, memory_fit

    tried = []

    def probe(model, collate, rows, device, autocast_dtype, vision_graph=False, decoder_graph=False):
        def try_plan(plan):
            tried.append(plan.describe())
            collate(rows[:plan.batch_size])  # the heaviest rows through the Trainer's own collator
            if plan.gradient_checkpointing == "off" or plan.batch_size > 2:
                raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
            return 2**30

        return try_plan

    trainers = []

    def build_trainer(*args):
        trainer, cancel = original_build_trainer(*args)
        trainers.append(trainer)
        return trainer, cancel

    original_build_trainer = job._build_trainer
    monkeypatch.setattr(memory_fit, "cuda_probe", probe)
    monkeypatch.setattr(job, "_build_trainer", build_trainer)
    monkeypatch.setattr(plan_module, "probes_memory", lambda config, device: True)
    monkeypatch.setattr(plan_module, "gpu_budget_bytes", lambda device: 16 * 2**30)
    config = TrainConfig(model=str(reader_model_dir), data=str(small_dataset), out=str(tmp_path / "run"), steps=1,
                         warmup_steps=0, save_steps=50, eval_samples=0, device="cpu")
    assert train(config).state == "done"

    assert tried == ["8 x 1, checkpointing off", "8 x 1, checkpointing on", "4 x 2, checkpointing on",
                     "2 x 4, checkpointing on"]
    args = trainers[0].args
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == (2, 4)
    assert args.activation_checkpointing
    recorded = RunDir(tmp_path / "run").read_status()["plan"]
    assert (recorded["batch_size"], recorded["grad_accum"], recorded["gradient_checkpointing"]) == (2, 4, "on")
    assert [attempt["fits"] for attempt in recorded["memory_probe"]] == [False, False, False, True]


def test_graphs_follow_the_memory_plan_with_accumulation_too():
    import dataclasses

    import torch

    from ocr_space.models.registry import get_family
    from ocr_space.train.memory_fit import MemoryPlan
    from ocr_space.train.plan import Precision, TrainPlan

    plan = TrainPlan(device="cuda", precision=Precision(torch.bfloat16, False, True), optim="adamw_torch_fused",
                     family=get_family("deepseek-ocr-2"), mode="small", memory=MemoryPlan(2, 4, "off"),
                     probe_memory=False, gpu_budget_bytes=None, vision_graph=True, decoder_graph=True)
    assert plan.graphs_vision and not plan.graphs_decoder  # 2 x 4: the encoder's gradients accumulate (GPU test)
    assert dataclasses.replace(plan, memory=MemoryPlan(8, 1, "off")).graphs_decoder
    decoder_only = dataclasses.replace(plan, memory=MemoryPlan(2, 4, "decoder"))
    assert decoder_only.graphs_vision and not decoder_only.graphs_decoder
    recomputed = dataclasses.replace(plan, memory=MemoryPlan(2, 4, "on"))
    assert not recomputed.graphs_vision and not recomputed.graphs_decoder
