"""Training throughput at full size: the reference recipe vs ocr-space's train(), side by side.

Variants (each in its own process, so each peak-memory number is its own):
  a      the reference recipe as published: transformers Trainer + PEFT, batch 2 x grad-accum 4,
         gradient checkpointing, default processor tiling, 8-bit AdamW when bitsandbytes imports
  b      ocr_space.train.train() with its defaults (the quick preset)
  b-fast the same with the "fast" preset (32 samples per step, for GPUs of 40 GB and more)
  *-t4   the same in fp16 under a 15 GiB per-process memory cap (what a T4 offers)
  b-t4-nockpt     b-t4 without gradient checkpointing (does it fit?)
  b-peft-experts  b with PEFT's own routed-expert LoRA (rebuilt weights) instead of the factored one

    python bench/train_speed.py --json results.json            # on a GPU (full-size DeepSeek-OCR-2)
    python bench/train_speed.py --tiny --json /tmp/smoke.json  # CPU smoke run on the tiny model

Prints a table last; the JSON holds every setting and number. Model FLOPs per
sample come from bench.common (3x forward through trainable paths, SAM forward
only); MFU divides achieved FLOP/s by a bf16 matmul measured on the same card.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

T4_CAP_GIB = 15.0
VARIANTS = {
    "a": {"kind": "reference", "dtype": "bf16"},
    "b": {"kind": "ocr_space", "dtype": "bf16"},
    "a-t4": {"kind": "reference", "dtype": "fp16", "cap_gib": T4_CAP_GIB},
    "b-t4": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB},
    "b-fast": {"kind": "ocr_space", "dtype": "bf16", "preset": "fast"},
    "b-t4-decoder": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB,
                     "overrides": {"gradient_checkpointing": "decoder"}},
    "b-t4-nockpt": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB,
                    "overrides": {"gradient_checkpointing": "off"}},
    "b-peft-experts": {"kind": "ocr_space", "dtype": "bf16", "overrides": {"factored_experts": False}},
    # session 3 (issue 15): each lever on its own, and the resolution modes (issue 14)
    "b-eager": {"kind": "ocr_space", "dtype": "bf16", "overrides": {"compile": "off"}},
    "b-fused": {"kind": "ocr_space", "dtype": "bf16", "overrides": {"optim": "adamw_torch_fused"}},
    "b-eager-fused": {"kind": "ocr_space", "dtype": "bf16", "overrides": {"compile": "off", "optim": "adamw_torch_fused"}},
    "b-t4-eager": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB, "overrides": {"compile": "off"}},
    "b-4bit": {"kind": "ocr_space", "dtype": "bf16", "overrides": {"load_in_4bit": True}},
    "b-4bit-t4": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB, "overrides": {"load_in_4bit": True}},
    "b-fused-lora": {"kind": "ocr_space", "dtype": "bf16", "overrides": {"fused_lora": True}},
    "b-t4-fused-lora": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB, "overrides": {"fused_lora": True}},
    # session 5: the image encoder and the decoder as CUDA graphs (both on by default since), against eager
    "b-no-graphs": {"kind": "ocr_space", "dtype": "bf16",
                    "overrides": {"vision_graph": False, "decoder_graph": False}},
    "b-vision-graph": {"kind": "ocr_space", "dtype": "bf16", "overrides": {"decoder_graph": False}},
    "b-t4-no-graphs": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB,
                       "overrides": {"vision_graph": False, "decoder_graph": False}},
    "b-t4-vision-graph": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB,
                          "overrides": {"decoder_graph": False}},
    # why fp16 under the 15 GiB cap runs at less than half of bf16 (session 5: 0.543 against 0.241 s per step):
    # fp16 without the cap, and the cap with the allocator's expandable segments (less fragmentation near the cap)
    "b-fp16": {"kind": "ocr_space", "dtype": "fp16"},
    "b-t4-expandable": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB,
                        "env": {"PYTORCH_CUDA_ALLOC_CONF": "expandable_segments:True"}},
    # session 6: where the host's time goes inside train() (the Trainer's loop around the graphed model)
    "b-host-profile": {"kind": "ocr_space", "dtype": "bf16", "host_profile": True},
    "b-t4-fused": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB, "overrides": {"optim": "adamw_torch_fused"}},
    # session 9: fp16's routed experts as one batched matmul per projection (ocr_space.models.padded_experts,
    # the default now) against the host loop over experts that torch and transformers run without an fp16 kernel
    "b-t4-loop": {"kind": "ocr_space", "dtype": "fp16", "cap_gib": T4_CAP_GIB,
                  "env": {"OCR_SPACE_PADDED_EXPERTS": "0"}},
    "b-base": {"kind": "ocr_space", "dtype": "bf16", "overrides": {"mode": "base"}},
    "b-tiles": {"kind": "ocr_space", "dtype": "bf16", "overrides": {"mode": "tiles"}},
    # Unsloth (its own environment: UNSLOTH_PYTHONPATH): the same mode, micro-batch and accumulation as b,
    # then the settings of its own notebook (2 x 4, its checkpointing, processor-default tiles)
    "c": {"kind": "unsloth", "dtype": "bf16", "mode": "small", "batch": 8, "accum": 1, "ckpt": False},
    "c-notebook": {"kind": "unsloth", "dtype": "bf16", "mode": "tiles", "batch": 2, "accum": 4, "ckpt": True},
    # Unsloth's harness on the project's pinned transformers (UNSLOTH523_PYTHONPATH: our site first, then
    # Unsloth's). Session 4 measured train()'s former backend=unsloth this way ("b-unsloth", bench/RESULTS.md);
    # that path is gone from train(), so this harness is what remains for side-by-side runs
    "c-523": {"kind": "unsloth", "dtype": "bf16", "mode": "small", "batch": 8, "accum": 1, "ckpt": False,
              "pythonpath": "UNSLOTH523_PYTHONPATH"},
}


# ------------------------------------------------------------------ workers (one process each)

def _step_timer():
    """A TrainerCallback recording each optimizer step's wall time (device synchronised)."""
    import torch
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.times: list[float] = []
            self._last = None

        def on_step_begin(self, args, state, control, **kwargs):
            if self._last is None:
                if torch.cuda.is_available():
                    torch.cuda.synchronize()
                self._last = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            now = time.perf_counter()
            self.times.append(now - self._last)
            self._last = now

    return StepTimer()


def run_reference(model_dir: str, shape: str, steps: int, dtype: str, tiny: bool) -> dict:
    """The notebook's recipe on transformers' native classes: Trainer + PEFT, its hyper-parameters."""
    import torch
    from peft import get_peft_model
    from transformers import AutoModelForImageTextToText, AutoProcessor, Trainer, TrainingArguments

    from bench.common import synthetic_samples
    from ocr_space.models.lora import LoraSettings, lora_config
    from ocr_space.models.registry import family_for_config
    from ocr_space.train.collators import collator_for

    torch_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[dtype]
    model = AutoModelForImageTextToText.from_pretrained(model_dir, dtype=torch_dtype)
    processor = AutoProcessor.from_pretrained(model_dir)
    family = family_for_config(model.config.to_dict())
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    model = get_peft_model(model, lora_config(family, LoraSettings(r=16, alpha=16, dropout=0.0)))
    try:
        import bitsandbytes  # noqa: F401

        optim = "adamw_8bit"
    except Exception:  # noqa: BLE001 - the notebook's optimizer when available, else what transformers has
        optim = "adamw_torch"
    batch, accum = 2, 4
    rows = synthetic_samples(shape, batch * accum * (steps + 1))
    timer = _step_timer()
    args = TrainingArguments(
        output_dir=str(Path(model_dir).parent / "reference-run"),
        per_device_train_batch_size=batch, gradient_accumulation_steps=accum, warmup_steps=5, max_steps=steps,
        learning_rate=2e-4, logging_steps=1, optim=optim, weight_decay=0.001, lr_scheduler_type="linear",
        seed=3407, report_to="none", remove_unused_columns=False, save_strategy="no",
        gradient_checkpointing=True, gradient_checkpointing_kwargs={"use_reentrant": False},
        bf16=dtype == "bf16" and device == "cuda", fp16=dtype == "fp16" and device == "cuda",
        dataloader_num_workers=0,
    )
    # the smoke run reads the tiny model in small mode: the tiny model's 192-px tiles make 'tiles' crawl on a CPU
    mode = "small" if tiny else "tiles"
    trainer = Trainer(model=model, args=args, train_dataset=rows, callbacks=[timer],
                      data_collator=collator_for(family, processor, mode=mode))
    trainer.train()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"step_times": timer.times, "samples_per_step": batch * accum, "trainable_params": trainable,
            "mode": mode, "optim": optim, "batch_size": batch, "grad_accum": accum,
            "gradient_checkpointing": True, "backend": "transformers+peft"}


def run_unsloth(model_dir: str, shape: str, steps: int, spec: dict) -> dict:
    """Unsloth's FastVisionModel + its LoRA on the same rows, through transformers' Trainer (its notebook's way)."""
    import torch
    import unsloth  # noqa: F401 - first, so that it patches transformers before anything imports it
    from transformers import AutoProcessor, Trainer, TrainingArguments
    from unsloth import FastVisionModel

    from bench.common import synthetic_samples
    from ocr_space.models.registry import get_family
    from ocr_space.train.collators import collator_for

    family = get_family("deepseek-ocr-2")
    started = time.perf_counter()
    model, _ = FastVisionModel.from_pretrained(model_dir, load_in_4bit=False, dtype=torch.bfloat16,
                                               use_gradient_checkpointing="unsloth" if spec["ckpt"] else False)
    model = FastVisionModel.get_peft_model(model, finetune_vision_layers=True, finetune_language_layers=True,
                                           finetune_attention_modules=True, finetune_mlp_modules=True, r=16,
                                           lora_alpha=16, lora_dropout=0, bias="none", random_state=3407)
    FastVisionModel.for_training(model)
    load_s = time.perf_counter() - started
    processor = AutoProcessor.from_pretrained(model_dir)
    batch, accum = spec["batch"], spec["accum"]
    try:
        import bitsandbytes  # noqa: F401

        optim = "adamw_8bit"
    except Exception:  # noqa: BLE001
        optim = "adamw_torch"
    rows = synthetic_samples(shape, batch * accum * (steps + 1))
    timer = _step_timer()
    args = TrainingArguments(
        output_dir=str(Path(model_dir).parent / "unsloth-run"), per_device_train_batch_size=batch,
        gradient_accumulation_steps=accum, warmup_steps=5, max_steps=steps, learning_rate=2e-4, logging_steps=1,
        optim=optim, weight_decay=0.001, lr_scheduler_type="linear", seed=3407, report_to="none",
        remove_unused_columns=False, save_strategy="no", bf16=True, dataloader_num_workers=2)
    trainer = Trainer(model=model, args=args, train_dataset=rows, callbacks=[timer],
                      data_collator=collator_for(family, processor, mode=spec["mode"]))
    trainer.train()
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"step_times": timer.times, "samples_per_step": batch * accum, "trainable_params": trainable,
            "mode": spec["mode"], "optim": optim, "batch_size": batch, "grad_accum": accum, "load_s": load_s,
            "gradient_checkpointing": "unsloth" if spec["ckpt"] else "off", "backend": "unsloth"}


def _capture_training_model() -> dict:
    """Wrap job._with_lora to record, once the LoRA layers exist, what trains and (4-bit) what was quantized."""
    import importlib

    job = importlib.import_module("ocr_space.train.job")
    found: dict = {}
    original = job._with_lora

    def with_lora(model, config, family):
        model = original(model, config, family)
        found.update(_describe_weights(model))
        return model

    job._with_lora = with_lora
    return found


def _record_padding() -> dict:
    """Wrap the padded experts layout's plan (ocr_space.models.padded_experts) to record, per MoE layer call,
    padded rows per routed row, or that the host loop was kept; summarised by :func:`_padding_summary`."""
    from ocr_space.models.padded_experts import PaddedRows

    seen: dict = {"padding": [], "loop_kept": 0}
    plan = PaddedRows.plan.__func__

    def recording_plan(cls, sorted_expert_ids, rows_per_expert):
        layout = plan(cls, sorted_expert_ids, rows_per_expert)
        if layout is None:
            seen["loop_kept"] += 1
        else:
            seen["padding"].append(layout.num_experts * layout.capacity / sorted_expert_ids.numel())
        return layout

    PaddedRows.plan = classmethod(recording_plan)
    return seen


def _padding_summary(seen: dict) -> dict | None:
    if not seen["padding"] and not seen["loop_kept"]:
        return None  # the layout did not apply (bf16 on a native GPU, CPU)
    padding = sorted(seen["padding"])
    return {"padded_calls": len(padding), "loop_kept": seen["loop_kept"],
            "padding_median": padding[len(padding) // 2] if padding else None,
            "padding_max": padding[-1] if padding else None}


def _describe_weights(model) -> dict:
    """Trainable parameters; for a 4-bit model, how many weights are 4-bit and which large ones are not."""
    import torch

    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    info = {"trainable_params": trainable}
    try:
        import bitsandbytes as bnb
    except Exception:  # noqa: BLE001
        return info
    four_bit = [m for m in model.modules() if isinstance(m, bnb.nn.Linear4bit)]
    if not four_bit:
        return info
    quantized_params = sum(m.weight.numel() * 2 for m in four_bit)  # Params4bit packs two values per byte
    kept = {}
    for name, param in model.named_parameters():
        if param.__class__.__name__ != "Params4bit" and param.numel() >= 1_000_000 and not param.requires_grad:
            kind = "routed experts" if ".experts." in name else name.split(".")[-2] if "." in name else name
            entry = kept.setdefault(kind, {"params": 0, "dtype": str(param.dtype)})
            entry["params"] += param.numel()
    info.update(linear4bit_layers=len(four_bit), quantized_params=quantized_params,
                unquantized_large=kept,
                weights_gib_after_load=torch.cuda.memory_allocated() / 2**30 if torch.cuda.is_available() else None)
    return info


def run_ocr_space(model_dir: str, shape: str, steps: int, dtype: str, tiny: bool, preset_name: str = "quick",
                  overrides: dict | None = None, host_profile: bool = False) -> dict:
    """ocr-space's own train() with its defaults, on a dataset folder of the same synthetic rows.

    Step times are the gaps between train()'s per-step events (each follows the
    step's loss being read back, so the device has finished the step). ``host_profile`` runs cProfile on the
    training thread from the first logged step on (after loading and graph capture) and reports where its
    time goes; the profiler slows the host, so those step times are not comparable with other variants.
    """
    import datasets

    from bench.common import synthetic_samples
    from ocr_space.data.splits import write_split
    from ocr_space.models.registry import get_family
    from ocr_space.train import RunDir, preset, train

    work = Path(model_dir).parent
    data_dir = work / f"data-{shape}"
    if not data_dir.exists():
        rows = synthetic_samples(shape, 512 if not tiny else 16)
        features = datasets.Features({"image": datasets.Image(), "text": datasets.Value("string")})
        write_split(datasets.Dataset.from_list(rows, features=features), data_dir, "train", prefix="bench")
    config = preset(preset_name, model=model_dir, data=str(data_dir),
                    out=str(work / f"run-{shape}-{dtype}-{os.getpid()}"), steps=steps, eval_samples=0,
                    save_steps=10_000, precision=dtype if not tiny else "fp32", **(overrides or {}))
    marks: list[tuple[float, int]] = []  # (time, step) of each logged step: about one a second on a GPU
    captured = _capture_training_model()
    padding = _record_padding()
    profiler = None

    def on_event(event: dict) -> None:
        nonlocal profiler
        marks.append((time.perf_counter(), event["step"]))
        if host_profile and profiler is None:  # called on the training thread, which cProfile then follows
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()

    started = time.perf_counter()
    result = train(config, on_event=on_event)
    step_times: list[float] = []  # per step: each interval between two logs spread over the steps it covers
    for (t0, s0), (t1, s1) in zip(marks, marks[1:], strict=False):
        step_times += [(t1 - t0) / (s1 - s0)] * (s1 - s0)
    status = RunDir(config.out).read_status()
    plan = status.get("plan", {})  # what the run resolved: optimizer, checkpointing, memory
    return {"compile": status.get("compile"), "cuda_graphs": status.get("cuda_graphs"),
            "graphs_note": plan.get("vision_graph_note"), "first_log_s": marks[0][0] - started if marks else None,
            "first_logged_step": marks[0][1] if marks else None,
            "train_wall_s": time.perf_counter() - started, **captured,
            "step_times": step_times,
            "samples_per_step": config.batch_size * config.grad_accum,
            "mode": config.mode or get_family("deepseek-ocr-2").training_mode, "optim": plan.get("optim"),
            "batch_size": plan.get("batch_size", config.batch_size),
            "grad_accum": plan.get("grad_accum", config.grad_accum), "preset": preset_name,
            "memory_probe": plan.get("memory_probe"),
            "gradient_checkpointing": plan.get("gradient_checkpointing"), "backend": "ocr-space train()",
            "result_state": result.state, "experts_padding": _padding_summary(padding),
            **({"host_profile": _host_profile_summary(profiler, marks)} if profiler is not None else {})}


def _host_profile_summary(profiler, marks: list[tuple[float, int]], top: int = 30) -> dict:
    """The profiled steps' functions by own time and by cumulative time, per step."""
    import pstats

    profiler.disable()
    steps = max(1, marks[-1][1] - marks[0][1]) if len(marks) > 1 else 1
    stats = pstats.Stats(profiler)

    def name(key) -> str:
        path, line, function = key
        return f"{'/'.join(Path(path).parts[-2:])}:{line}({function})"

    rows = [(name(key), calls, own, cumulative) for key, (_, calls, own, cumulative, _) in stats.stats.items()]
    per_step = lambda seconds: round(seconds / steps, 4)  # noqa: E731
    return {"steps": steps, "wall_s_per_step": (marks[-1][0] - marks[0][0]) / steps if len(marks) > 1 else None,
            "own_s_per_step": [(n, c // steps, per_step(o)) for n, c, o, _ in sorted(rows, key=lambda r: -r[2])[:top]],
            "cumulative_s_per_step": [(n, c // steps, per_step(t)) for n, c, _, t in
                                      sorted(rows, key=lambda r: -r[3])[:top]]}


def worker(args) -> None:
    import torch

    from bench.common import environment

    spec = VARIANTS[args.variant]
    if torch.cuda.is_available() and spec.get("cap_gib"):
        total = torch.cuda.get_device_properties(0).total_memory
        torch.cuda.set_per_process_memory_fraction(spec["cap_gib"] * 2**30 / total)
    started = time.perf_counter()
    error = None
    dtype = "fp32" if args.tiny else spec["dtype"]
    try:
        if spec["kind"] == "reference":
            result = run_reference(args.model_dir, args.shape, args.steps, dtype, args.tiny)
        elif spec["kind"] == "unsloth":
            result = run_unsloth(args.model_dir, args.shape, args.steps, spec)
        else:
            result = run_ocr_space(args.model_dir, args.shape, args.steps, dtype, args.tiny, spec.get("preset", "quick"),
                                   spec.get("overrides"), spec.get("host_profile", False))
    except torch.cuda.OutOfMemoryError as exc:
        result, error = {}, f"CUDA out of memory: {str(exc)[:200]}"
    except Exception as exc:  # noqa: BLE001 - one variant failing must not lose the others' numbers
        import traceback

        result, error = {}, f"{type(exc).__name__}: {str(exc)[:300]} | {traceback.format_exc()[-1200:]}"
    result.update(variant=args.variant, shape=args.shape, dtype=spec["dtype"], cap_gib=spec.get("cap_gib"),
                  wall_s=time.perf_counter() - started, error=error, env=environment())
    if torch.cuda.is_available():
        result["peak_reserved_gib"] = torch.cuda.max_memory_reserved() / 2**30
    Path(args.worker_json).write_text(json.dumps(result, default=str))


def prepare(args) -> None:
    """Build the full-size model with random weights on the GPU, save it once, measure the matmul rate."""
    import torch

    from bench.common import full_size_model, measure_matmul_tflops

    out = Path(args.model_dir)
    started = time.perf_counter()
    model, processor = full_size_model("deepseek-ocr-2", "cuda", torch.bfloat16)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    info = {"build_and_save_s": time.perf_counter() - started,
            "params": sum(p.numel() for p in model.parameters()),
            "matmul_bf16_tflops": measure_matmul_tflops(torch.bfloat16),
            "matmul_fp16_tflops": measure_matmul_tflops(torch.float16)}
    Path(args.worker_json).write_text(json.dumps(info))


# ------------------------------------------------------------------ orchestration

def _subprocess(*extra: str, timeout: float, env: dict | None = None) -> dict:
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{os.getpid()}-{time.monotonic_ns()}.json"
    command = [sys.executable, __file__, *extra, "--worker-json", str(out)]
    try:
        done = subprocess.run(command, timeout=timeout, capture_output=True, text=True,
                              env={**os.environ, **(env or {})})
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0 or not out.exists():
        return {"error": f"exit {done.returncode}: {done.stderr[-1500:]}"}
    return json.loads(out.read_text())


def summarise(result: dict, flops_per_sample: float | None, matmul_tflops: float | None) -> dict:
    times = result.get("step_times") or []
    if not times:
        return result
    steady = times[5:] if len(times) > 6 else times[1:] or times
    step_s = statistics.median(steady)
    samples_per_s = result["samples_per_step"] / step_s
    result.update(step_s_median=step_s, samples_per_s=samples_per_s)
    if flops_per_sample and matmul_tflops:
        achieved = samples_per_s * flops_per_sample / 1e12
        result.update(model_tflop_per_sample=flops_per_sample / 1e12, achieved_tflops=achieved,
                      mfu=achieved / matmul_tflops)
    return result


def flops_for(shape: str, mode: str, text_tokens: int) -> float:
    from bench.common import deepseek_ocr2_forward_flops, training_flops_per_sample
    from ocr_space.models.deepseek_ocr2.config import full_config

    config = full_config()
    if shape == "lines":
        tiles, side = 0, (768 if mode == "small" else 1024)
    else:
        tiles, side = (6 if mode == "tiles" else 0), (768 if mode == "small" else 1024)
    return training_flops_per_sample(deepseek_ocr2_forward_flops(config, 1, tiles, text_tokens, side))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", help="write all results here")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke run on the tiny model")
    parser.add_argument("--variants", default="a,b,b-fast,a-t4,b-t4")
    parser.add_argument("--shapes", default="lines,pages")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--model-dir", default="/tmp/ocr-space-bench/model")
    parser.add_argument("--variant-timeout", type=float, default=1800, help="seconds per variant process")
    # worker-side arguments
    parser.add_argument("--variant")
    parser.add_argument("--shape")
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--worker-json")
    args = parser.parse_args()

    if args.worker_json:
        return prepare(args) if args.prepare else worker(args)

    from bench.common import environment

    Path(args.model_dir).parent.mkdir(parents=True, exist_ok=True)
    setup: dict = {}
    if args.tiny:
        from ocr_space.testing import build_tiny_model

        build_tiny_model(args.model_dir)
    elif not (Path(args.model_dir) / "config.json").exists():
        setup = _subprocess("--prepare", "--model-dir", args.model_dir, timeout=900)
        print("prepared:", json.dumps(setup), flush=True)
    results = []
    for shape in args.shapes.split(","):
        for variant in args.variants.split(","):
            extra = ["--variant", variant, "--shape", shape, "--steps", str(args.steps), "--model-dir", args.model_dir]
            if args.tiny:
                extra.append("--tiny")
            env = None
            spec = VARIANTS[variant]
            if spec["kind"] == "unsloth" or spec.get("pythonpath"):  # Unsloth pins older transformers/TRL/datasets
                path_variable = spec.get("pythonpath", "UNSLOTH_PYTHONPATH")
                env = {"PYTHONPATH": os.environ.get(path_variable, os.environ.get("PYTHONPATH", ""))}
            if spec.get("env"):
                env = {**(env or {}), **spec["env"]}
            result = _subprocess(*extra, timeout=args.variant_timeout, env=env)
            result.setdefault("variant", variant)
            result.setdefault("shape", shape)
            text_tokens = 25 if shape == "lines" else 1100
            matmul = setup.get("matmul_bf16_tflops" if VARIANTS[variant]["dtype"] == "bf16" else
                               "matmul_fp16_tflops")
            flops = None if args.tiny or result.get("error") else flops_for(shape, result["mode"], text_tokens)
            results.append(summarise(result, flops, matmul))
            print(json.dumps({k: v for k, v in results[-1].items() if k not in ("step_times", "env")},
                             default=str), flush=True)
            if args.json:  # after every variant: a run cut short by a time limit keeps what it measured
                Path(args.json).write_text(json.dumps({"setup": setup, "partial": True, "results": results},
                                                      indent=2, default=str))

    report = {"env": environment(), "setup": setup, "steps": args.steps, "results": results}
    for shape in args.shapes.split(","):
        by_name = {r["variant"]: r for r in results if r["shape"] == shape}
        for fast, ref, key in (("b", "a", "ratio_full"), ("b-fast", "a", "ratio_full_fast_preset"),
                               ("b-t4", "a-t4", "ratio_15gib"), ("b-eager", "a", "ratio_full_eager"),
                               ("b", "c", "unsloth_ratio"), ("b-4bit", "a", "ratio_4bit")):
            if by_name.get(fast, {}).get("samples_per_s") and by_name.get(ref, {}).get("samples_per_s"):
                report[f"{key}_{shape}"] = by_name[fast]["samples_per_s"] / by_name[ref]["samples_per_s"]
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    print_table(report)


def print_table(report: dict) -> None:
    header = (f"{'shape':6} {'variant':12} {'dtype':5} {'cap':>4} {'mode':6} {'bs x ga':8} {'ckpt':7} "
              f"{'step s':>7} {'samples/s':>9} {'peak GiB':>8} {'TF/sample':>9} {'MFU':>6}  note")
    print(header)
    print("-" * len(header))
    for r in report["results"]:
        if r.get("error"):
            print(f"{r['shape']:6} {r['variant']:12} error: {r['error'][:100]}")
            continue
        checkpointing = {True: "on", False: "off"}.get(r["gradient_checkpointing"], r["gradient_checkpointing"])
        print(f"{r['shape']:6} {r['variant']:12} {r['dtype']:5} {r.get('cap_gib') or '-':>4} {r['mode']:6} "
              f"{str(r['batch_size']) + 'x' + str(r['grad_accum']):8} {checkpointing:7} "
              f"{r['step_s_median']:7.3f} {r['samples_per_s']:9.2f} {r.get('peak_reserved_gib') or 0:8.2f} "
              f"{r.get('model_tflop_per_sample') or 0:9.2f} {r.get('mfu') or 0:6.1%}  {r['backend']}, {r['optim']}"
              + _padding_note(r.get("experts_padding")))
    for key in sorted(k for k in report if k.startswith("ratio_")):
        print(f"{key}: {report[key]:.2f}")


def _padding_note(padding: dict | None) -> str:
    if not padding:
        return ""
    if not padding["padded_calls"]:
        return f", experts looped ({padding['loop_kept']} calls)"
    return (f", experts padded x{padding['padding_median']:.2f} (max x{padding['padding_max']:.2f}, "
            f"{padding['loop_kept']} of {padding['padded_calls'] + padding['loop_kept']} calls looped)")


if __name__ == "__main__":
    main()
