"""Where a LoRA training step's time goes, for one configuration, at full size.

A bare loop (no Trainer) so the numbers isolate the model: step time,
samples/s, peak memory, and with --profile the kernel launches per step and
host vs device time from torch.profiler. Used to choose train() defaults;
bench/train_speed.py measures the real training entry points.

    python bench/profile_step.py --shape lines --mode small --batch 16 --steps 12 --json out.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.common import environment, synthetic_samples  # noqa: E402


def make_batches(processor, family, rows, batch: int, mode: str, answer_window: bool = False):
    """Processor on prompt + answer per sample; labels mask everything but the answer (timing-grade collation)."""
    kwargs = family.mode(mode).processor_kwargs(processor)
    tokenizer = processor.tokenizer
    tokenizer.padding_side = "right"
    batches = []
    for start in range(0, len(rows) - batch + 1, batch):
        chunk = rows[start:start + batch]
        texts = [family.ocr_prompt + row["text"] + tokenizer.eos_token for row in chunk]
        enc = processor(images=[row["image"] for row in chunk], text=texts, return_tensors="pt", padding=True,
                        **kwargs)
        labels = enc["input_ids"].clone()
        labels[enc["attention_mask"] == 0] = -100
        labels[enc["input_ids"] == processor.image_token_id] = -100
        enc["labels"] = labels
        if answer_window:
            from ocr_space.train.collators import answer_window as window

            enc.update(window(labels))
        batches.append(enc)
    return batches


def run(args) -> dict:
    from peft import get_peft_model

    from bench.common import full_size_model
    from ocr_space.models.lora import LoraSettings, adapter_input_casts_skipped, lora_config
    from ocr_space.models.registry import get_family

    device = "cuda" if torch.cuda.is_available() and not args.tiny else "cpu"
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype]
    if device == "cpu":
        dtype = torch.float32
    if device == "cuda" and args.cap_gib:
        total = torch.cuda.get_device_properties(0).total_memory
        torch.cuda.set_per_process_memory_fraction(args.cap_gib * 2**30 / total)
    family = get_family("deepseek-ocr-2")
    if args.tiny:
        from ocr_space.models.loading import load_model
        from ocr_space.testing import build_tiny_model

        loaded = load_model(str(build_tiny_model(Path("/tmp/ocr-space-bench-tiny"))), device="cpu")
        model, processor = loaded.model, loaded.processor
    else:
        started = time.perf_counter()
        model, processor = full_size_model("deepseek-ocr-2", device, dtype, experts_implementation=args.experts_impl)
        print(f"built model in {time.perf_counter() - started:.1f} s", flush=True)
    if args.ours or args.graphs:
        from ocr_space.models.loading import faster_paths

        faster_paths(model, device)  # what load_model does: SAM's position indices on the device
    model.requires_grad_(False)
    model = get_peft_model(model, lora_config(family, LoraSettings(r=16, alpha=16, experts=not args.no_expert_lora)))
    if args.factored_experts:
        from ocr_space.models.expert_lora import use_factored_expert_lora

        print("factored experts:", use_factored_expert_lora(model), flush=True)
    if args.compile:
        from importlib import import_module

        print("compile:", import_module("ocr_space.train.compile").compile_for_training(
            model, *import_module("ocr_space.train.compile").compile_decision("on", device, "peft")), flush=True)
    if args.grad_ckpt:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=2e-4, weight_decay=0.001, fused=device == "cuda")
    rows = synthetic_samples(args.shape, args.batch * (args.steps + 1))
    batches = make_batches(processor, family, rows, args.batch, args.mode, args.answer_window)
    tokens = batches[0]["input_ids"].shape[1]
    casts_skipped = (lambda: adapter_input_casts_skipped(model)) if args.skip_casts else contextlib.nullcontext
    graphs = contextlib.ExitStack()  # closed when the process ends
    if args.graphs:  # train()'s defaults on CUDA: the image encoder and the decoder replayed as CUDA graphs
        from ocr_space.models.decoder_graph import training_decoder_graphs
        from ocr_space.models.vision_graph import training_vision_graphs

        graphs.enter_context(training_vision_graphs(model))
        graphs.enter_context(training_decoder_graphs(model))
    autocast = torch.autocast(device_type=device, dtype=dtype, enabled=device == "cuda" and dtype != torch.float32)

    def step(batch):
        batch = {k: (v.to(device, non_blocking=True) if hasattr(v, "to") else v) for k, v in batch.items()}
        for key in ("pixel_values", "pixel_values_local"):
            if key in batch:
                batch[key] = batch[key].to(dtype)
        with autocast, casts_skipped():
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    times = []
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for batch in batches[:args.steps]:
        if device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        loss = step(batch)
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    result = {
        "config": vars(args),
        "env": environment(),
        "seq_len": tokens,
        "trainable_params": sum(p.numel() for p in trainable),
        "step_s_median": statistics.median(times[min(4, len(times) - 1):]),
        "step_times": times,
        "loss_last": float(loss),
        "peak_reserved_gib": torch.cuda.max_memory_reserved() / 2**30 if device == "cuda" else None,
    }
    result["samples_per_s"] = args.batch / result["step_s_median"]
    if args.profile and device == "cuda":
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            torch.cuda.synchronize()
            started = time.perf_counter()
            step(batches[args.steps % len(batches)])
            torch.cuda.synchronize()
            wall = time.perf_counter() - started
        events = prof.key_averages()
        kernels = sum(e.count for e in events if e.device_type.name == "CUDA")
        device_us = sum(e.self_device_time_total for e in events if e.device_type.name == "CUDA")
        top = sorted(events, key=lambda e: e.self_device_time_total, reverse=True)[:15]
        result["profile"] = {
            "kernels_per_step": kernels,
            "device_busy_s": device_us / 1e6,
            "wall_s": wall,
            "top_kernels": [(e.key[:80], e.count, round(e.self_device_time_total / 1e3, 2)) for e in top],
        }
    if args.host_profile:
        result["host_profile"] = host_profile(step, batches, args.host_profile, device)
    return result


#: where host time is attributed, by the file a Python function lives in (first match wins)
HOST_GROUPS = (("peft", "/peft/"), ("transformers", "/transformers/"), ("bitsandbytes", "/bitsandbytes/"),
               ("ocr_space", "/ocr_space/"), ("torch.nn.modules", "/torch/nn/modules/"),
               ("torch.autograd", "/torch/autograd/"), ("torch.optim", "/torch/optim/"), ("torch (other)", "/torch/"))


def host_profile(step, batches, steps: int, device: str) -> dict:
    """cProfile of ``steps`` training steps: where the host's time goes, when the step is bound by the host.

    Self time is grouped by the package each Python function lives in; C functions (``{built-in method ...}``,
    e.g. the autograd engine's backward, each op's dispatch) are listed by name, since they carry the launches.
    """
    import cProfile
    import pstats

    import torch

    profiler = cProfile.Profile()
    if device == "cuda":
        torch.cuda.synchronize()
    started = time.perf_counter()
    profiler.enable()
    for batch in batches[:steps]:
        step(batch)
    if device == "cuda":
        torch.cuda.synchronize()
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats  # (file, line, name) -> (calls, primitive calls, self s, cumulative s, callers)
    groups: dict[str, float] = {}
    builtins = []
    for (file, _, name), (_, calls, self_s, _, _) in stats.items():
        if file == "~":
            builtins.append((name[:90], calls, self_s))
            continue
        group = next((label for label, part in HOST_GROUPS if part in file), "other python")
        groups[group] = groups.get(group, 0.0) + self_s
    per_step = {k: round(v / steps, 4) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])}
    top_builtins = sorted(builtins, key=lambda b: -b[2])[:20]
    return {"steps": steps, "wall_s_per_step": wall / steps, "python_self_s_per_step": per_step,
            "builtin_self_s_per_step": [(name, calls // steps, round(self_s / steps, 4))
                                        for name, calls, self_s in top_builtins]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", default="lines", choices=["lines", "pages"])
    parser.add_argument("--mode", default="small")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--dtype", default="bf16", choices=["bf16", "fp16", "fp32"])
    parser.add_argument("--grad-ckpt", action="store_true")
    parser.add_argument("--no-expert-lora", action="store_true")
    parser.add_argument("--factored-experts", action="store_true", help="expert LoRA from its factors (train() default)")
    parser.add_argument("--answer-window", action="store_true", help="logits only for the answer (train() default)")
    parser.add_argument("--skip-casts", action="store_true", help="no PEFT input casts under autocast (train() default)")
    parser.add_argument("--ours", action="store_true", help="all three of the above")
    parser.add_argument("--compile", action="store_true", help="regional torch.compile of the layers")
    parser.add_argument("--graphs", action="store_true",
                        help="the image encoder and the decoder as CUDA graphs (train() default on CUDA)")
    parser.add_argument("--experts-impl", default=None, help="transformers experts implementation (eager, grouped_mm)")
    parser.add_argument("--cap-gib", type=float, default=0, help="per-process GPU memory cap (15 = a T4)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--host-profile", type=int, default=0, metavar="STEPS",
                        help="cProfile this many extra steps: the host's time by package and by C function")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke run on the tiny model")
    parser.add_argument("--json", help="write the result here")
    args = parser.parse_args()
    if args.ours:
        args.factored_experts = args.answer_window = args.skip_casts = True
    result = run(args)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str))
    summary = {k: result[k] for k in ("seq_len", "trainable_params", "step_s_median", "samples_per_s",
                                      "peak_reserved_gib")}
    print(json.dumps({"config": {k: v for k, v in vars(args).items() if k != "json"}, **summary}, default=str))
    for key in ("profile", "host_profile"):
        if key in result:
            print(json.dumps(result[key], indent=1, default=str))


if __name__ == "__main__":
    main()
