"""Recognition throughput: one image at a time vs batched, on the GPU at full size and on the CPU.

    python bench/infer_speed.py --json out.json                 # GPU: full-size DeepSeek-OCR-2, random weights
    python bench/infer_speed.py --cpu-full --json out.json      # this CPU, full size (slow: minutes)
    python bench/infer_speed.py --tiny --json /tmp/smoke.json   # CPU smoke run on the tiny model (seconds)

--adapter-batch N also times generation with a LoRA adapter (r=16 on the
reference's targets, routed experts included) at batch N, twice: with PEFT's
own expert path, which rebuilds every expert weight (W + BA) at each forward,
i.e. for every new token, and with ocr-space's factored experts
(ocr_space.models.expert_lora), which load_model uses for adapters.

Random weights decide when EOS comes, so every run generates exactly
--new-tokens tokens (min_new_tokens holds EOS back) to make runs comparable; lines/s and
new tokens/s are reported for each batch size. Prints a table last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from bench.common import environment, synthetic_samples  # noqa: E402


@contextmanager
def generation_settings_restored(loaded):
    """Whatever a timing changes (the fast-decode switch, ``min_new_tokens``) is back as it was afterwards."""
    from ocr_space.fast_generate import ENV_SWITCH

    generation = loaded.model.generation_config
    saved_min = generation.min_new_tokens
    try:
        with mock.patch.dict(os.environ, {ENV_SWITCH: os.environ.get(ENV_SWITCH, "1")}):
            yield
    finally:
        generation.min_new_tokens = saved_min


def loaded_model(kind: str):
    from ocr_space.models.loading import LoadedModel, load_model
    from ocr_space.models.registry import get_family

    if kind == "tiny":
        from ocr_space.testing import build_tiny_model

        return load_model(str(build_tiny_model(Path("/tmp/ocr-space-bench-tiny-infer"))), device="cpu")
    from bench.common import full_size_model

    device = "cuda" if kind == "gpu" else "cpu"
    dtype = torch.bfloat16
    model, processor = full_size_model("deepseek-ocr-2", device, dtype)
    model.eval()
    from ocr_space.models.loading import faster_paths

    faster_paths(model, device)  # what load_model does
    return LoadedModel(model=model, processor=processor, family=get_family("deepseek-ocr-2"), source="random-init",
                       adapter=None, device=device, dtype=dtype)


def use_experts(loaded, experts: str) -> None:
    """The routed experts' kernels: "sized" (what load_model picks on CUDA), "grouped" (grouped_mm throughout) or
    "transformers" (grouped_mm, and generate's own switch to batched_mm for the decode steps)."""
    from ocr_space.models.sized_experts import BATCHED_MAX_ROWS, use_sized_experts

    if experts == "transformers":
        loaded.model.set_experts_implementation("grouped_mm")
    elif not use_sized_experts(loaded.model, 0 if experts == "grouped" else BATCHED_MAX_ROWS):
        raise RuntimeError(f"the sized experts did not switch on: {loaded.model.get_experts_implementation()}")


def time_batches(loaded, images, batch_size: int, new_tokens: int, mode: str, decode: str = "auto",
                 preprocess: str = "auto", vision_graph: str = "on", experts: str | None = None) -> dict:
    """Lines/s and new tokens/s over ``images``; ``decode`` "eager" switches the fast decode path off, "auto" is
    the default path (the step compiled in long jobs only), "graphed" never compiles the step, "compiled" always
    does (:data:`ocr_space.fast_generate.ENV_SWITCH`); ``preprocess`` "host" keeps the image processor off
    the GPU (what ran before it could go there), ``vision_graph`` "off" runs the image encoder eagerly instead
    of replaying its CUDA graph, ``experts`` picks the routed experts' kernels (:func:`use_experts`; None: as
    loaded).

    The warm-up is one batch of the same size and length (what the fast path compiles for), read as part
    of a job as long as the timed one (which decides whether batches take the fast path), timed on its own as
    ``warmup_s`` (compilation + CUDA graph capture on the first call of a shape).
    """
    from ocr_space.fast_generate import ENV_SWITCH, decode_settings
    from ocr_space.models.vision_graph import ENV_SWITCH as GRAPH_SWITCH
    from ocr_space.recognize import recognize_batch

    on_host = mock.patch("ocr_space.recognize.processor_device_kwargs", lambda loaded: {})
    graphs = mock.patch.dict(os.environ, {GRAPH_SWITCH: "0" if vision_graph == "off" else "1"})
    if loaded.device == "cuda" and experts:
        use_experts(loaded, experts)
    with generation_settings_restored(loaded), on_host if preprocess == "host" else nullcontext(), graphs:
        os.environ[ENV_SWITCH] = {"eager": "0", "auto": "1"}.get(decode, decode)
        # same work for every run, whatever random weights prefer
        loaded.model.generation_config.min_new_tokens = new_tokens
        note = decode_settings(loaded.model, loaded.device, batch_size, len(images)).note
        warmup_s = None
        if loaded.device == "cuda":
            started = time.perf_counter()
            recognize_batch(loaded, images[:batch_size], max_new_tokens=new_tokens, mode=mode, batch_size=batch_size,
                            pages_in_job=len(images))  # the same decode path as the timed job
            torch.cuda.synchronize()
            warmup_s = time.perf_counter() - started
        started = time.perf_counter()
        results = recognize_batch(loaded, images, max_new_tokens=new_tokens, mode=mode, batch_size=batch_size)
        if loaded.device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - started
    tokens = sum(r.new_tokens for r in results)
    return {"batch_size": batch_size, "lines": len(images), "seconds": seconds, "lines_per_s": len(images) / seconds,
            "new_tokens_per_s": tokens / seconds, "seconds_per_line": seconds / len(images),
            "mean_new_tokens": tokens / len(images), "decode": decode, "decode_note": note, "warmup_s": warmup_s,
            "preprocess": preprocess, "vision_graph": vision_graph, "experts": experts,
            "texts": [r.text for r in results[:4]]}


def breakdown(loaded, images, batch_size: int, new_tokens: int, mode: str, repeats: int = 3) -> dict:
    """Where one batch's time goes: the processor (on the host, and on the GPU where torchvision runs it),
    the prefill (generate with one new token), and the whole generate on the dynamic and the static cache.

    Each part is the median of ``repeats`` timings after one untimed call (the static cache's compilation).
    """
    import statistics

    from ocr_space.fast_generate import ENV_SWITCH
    from ocr_space.recognize import generation_request, processor_device_kwargs, resolve_prompt

    batch = images[:batch_size]
    prompt = resolve_prompt("ocr")
    kwargs = loaded.family.mode(mode).processor_kwargs(loaded.processor)
    sync = torch.cuda.synchronize if loaded.device == "cuda" else (lambda: None)

    def timed(work) -> float:
        work()
        sync()
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            work()
            sync()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    def process(**extra):
        return loaded.processor(images=batch, text=[prompt] * len(batch), return_tensors="pt", padding=True,
                                **kwargs, **extra).to(loaded.device)

    parts = {"batch_size": len(batch), "processor_host_s": timed(process)}
    if processor_device_kwargs(loaded):
        parts["processor_on_gpu_s"] = timed(lambda: process(**processor_device_kwargs(loaded)))
    generation = loaded.model.generation_config
    with generation_settings_restored(loaded):
        for decode in ("eager", "auto"):
            os.environ[ENV_SWITCH] = "0" if decode == "eager" else "1"
            inputs, settings = generation_request(loaded, batch, prompt, new_tokens, kwargs, ngram_guard=30)
            generation.min_new_tokens = new_tokens
            with torch.inference_mode():
                parts[f"generate_{decode}_s"] = timed(lambda i=inputs, k=settings: loaded.model.generate(**i, **k))
                generation.min_new_tokens = 1
                one = {**settings, "max_new_tokens": 1}
                parts[f"prefill_{decode}_s"] = timed(lambda i=inputs, k=one: loaded.model.generate(**i, **k))
    for decode in ("eager", "auto"):
        decode_s = parts[f"generate_{decode}_s"] - parts[f"prefill_{decode}_s"]
        parts[f"decode_{decode}_tokens_per_s"] = len(batch) * (new_tokens - 1) / decode_s if decode_s > 0 else None
    return parts


def profile_generate(loaded, images, batch_size: int, new_tokens: int, mode: str, trace_dir: str = "") -> dict:
    """One generate of ``batch_size`` lines under the profiler: kernels launched and device time, per new token
    (prefill included), the kernels that take the most device time, and the host's side: the CUDA runtime calls
    (graph launches, kernel launches, synchronizations) and, from a second generate under cProfile, the Python
    functions that take the host's time. ``trace_dir`` also writes the profiler's chrome trace there (gzipped)."""
    import cProfile
    import gzip
    import io
    import pstats

    from torch.profiler import ProfilerActivity, profile

    from ocr_space.recognize import generation_request, resolve_prompt

    kwargs = loaded.family.mode(mode).processor_kwargs(loaded.processor)
    inputs, settings = generation_request(loaded, images[:batch_size], resolve_prompt("ocr"), new_tokens, kwargs,
                                          ngram_guard=30)
    generation = loaded.model.generation_config
    with generation_settings_restored(loaded), torch.inference_mode():
        generation.min_new_tokens = new_tokens
        loaded.model.generate(**inputs, **settings)  # warm-up (and compilation where the fast path applies)
        torch.cuda.synchronize()
        started = time.perf_counter()
        loaded.model.generate(**inputs, **settings)
        torch.cuda.synchronize()
        plain_wall = time.perf_counter() - started
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            started = time.perf_counter()
            loaded.model.generate(**inputs, **settings)
            torch.cuda.synchronize()
            wall = time.perf_counter() - started
        host = cProfile.Profile()
        host.enable()
        loaded.model.generate(**inputs, **settings)
        torch.cuda.synchronize()
        host.disable()
    if trace_dir:
        plain = Path(trace_dir) / f"generate_b{batch_size}.json"
        prof.export_chrome_trace(str(plain))
        with open(plain, "rb") as source, gzip.open(f"{plain}.gz", "wb") as packed:
            packed.write(source.read())
        plain.unlink()
    events = prof.key_averages()
    cuda_events = [e for e in events if e.device_type.name == "CUDA"]
    top = sorted(cuda_events, key=lambda e: e.self_device_time_total, reverse=True)[:20]
    cpu_events = [e for e in events if e.device_type.name == "CPU"]
    runtime = {e.key: e.count for e in cpu_events
               if e.key in ("cudaGraphLaunch", "cudaLaunchKernel", "cudaStreamSynchronize", "cudaDeviceSynchronize",
                            "cudaMemcpyAsync", "cudaEventSynchronize", "cuLaunchKernel", "cudaLaunchKernelExC")}
    host_ops = sorted(cpu_events, key=lambda e: e.self_cpu_time_total, reverse=True)[:25]
    text = io.StringIO()
    pstats.Stats(host, stream=text).sort_stats("cumulative").print_stats(60)
    own = io.StringIO()
    pstats.Stats(host, stream=own).sort_stats("tottime").print_stats(30)
    return {"batch_size": batch_size, "new_tokens": new_tokens, "wall_s": wall, "wall_unprofiled_s": plain_wall,
            "kernels": sum(e.count for e in cuda_events),
            "device_busy_s": sum(e.self_device_time_total for e in cuda_events) / 1e6,
            "top_kernels": [(e.key[:90], e.count, round(e.self_device_time_total / 1e3, 2)) for e in top],
            "runtime_calls": runtime,
            "top_host_ops": [(e.key[:90], e.count, round(e.self_cpu_time_total / 1e3, 2)) for e in host_ops],
            "host_cumulative": text.getvalue().splitlines()[:90], "host_own": own.getvalue().splitlines()[:60]}


def adapter_runs(loaded, images, batch_size: int, new_tokens: int, mode: str) -> list[dict]:
    """The same generation with a LoRA adapter: PEFT's rebuilt expert weights, then the factored experts."""
    import dataclasses

    from peft import get_peft_model

    from ocr_space.models.expert_lora import use_factored_expert_lora
    from ocr_space.models.lora import LoraSettings, lora_config

    model = get_peft_model(loaded.model, lora_config(loaded.family, LoraSettings(r=16, alpha=16)))
    for name, param in model.named_parameters():
        if "lora_B" in name:  # a trained adapter is not zero; the timing does not depend on the values
            param.data.normal_(0, 1e-3)
    model.eval()
    adapted = dataclasses.replace(loaded, model=model)
    runs = [dict(time_batches(adapted, images, batch_size, new_tokens, mode), adapter="lora, peft experts")]
    if not use_factored_expert_lora(model):
        raise RuntimeError("the factored experts did not switch on for this model")
    runs.append(dict(time_batches(adapted, images, batch_size, new_tokens, mode), adapter="lora, factored"))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--tiny", action="store_true")
    group.add_argument("--cpu-full", action="store_true")
    parser.add_argument("--lines", type=int, default=64)
    parser.add_argument("--batch-sizes", default="1,8,32")
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--mode", default="small")
    parser.add_argument("--adapter-batch", type=int, default=0, help="also time generation with a LoRA adapter")
    parser.add_argument("--decode", default="eager,auto",
                        help="decode paths to time: eager (plain generate), auto (the default path), graphed (step "
                             "never compiled) or compiled (always); PATH/EXPERTS times that path with those experts "
                             "only (e.g. compiled/sized)")
    parser.add_argument("--lines-b1", type=int, default=16, help="lines timed one at a time (batch 1 is slow)")
    parser.add_argument("--preprocess", default="auto",
                        help="image processor placement to time: auto (on the GPU where torchvision runs it) and/or host")
    parser.add_argument("--breakdown", default="", help="batch sizes to split into processor/prefill/decode")
    parser.add_argument("--vision-graph", default="on",
                        help="on, off or both (on,off): the image encoder replayed as a CUDA graph, or eager")
    parser.add_argument("--experts", default="sized", help="routed experts' kernels: sized,grouped,transformers")
    parser.add_argument("--profile-generate", default="", help="batch sizes to run once under the profiler")
    parser.add_argument("--trace-dir", default="", help="where --profile-generate writes its chrome traces")
    parser.add_argument("--json")
    args = parser.parse_args()

    kind = "tiny" if args.tiny else "cpu" if args.cpu_full else "gpu"
    if kind == "gpu" and not torch.cuda.is_available():
        parser.error("no GPU: use --tiny or --cpu-full")
    loaded = loaded_model(kind)
    images = [row["image"] for row in synthetic_samples("lines", args.lines)]
    runs, parts = [], []
    for size in filter(None, args.breakdown.split(",")):
        parts.append(breakdown(loaded, images, int(size), args.new_tokens, args.mode))
        print(json.dumps(parts[-1]), flush=True)
    profiles = []
    for size in filter(None, args.profile_generate.split(",")):
        profiles.append(profile_generate(loaded, images, int(size), args.new_tokens, args.mode, args.trace_dir))
        print(json.dumps(profiles[-1]), flush=True)
    for entry in filter(None, args.decode.split(",")):
        decode, _, only_experts = entry.partition("/")
        for size in args.batch_sizes.split(","):
            for preprocess in args.preprocess.split(","):
                for graph in args.vision_graph.split(","):
                    for experts in (only_experts or args.experts).split(","):
                        lines = images[:max(int(size), args.lines_b1)] if int(size) == 1 else images
                        runs.append(time_batches(loaded, lines, int(size), args.new_tokens, args.mode, decode,
                                                 preprocess, graph, experts))
                        print(json.dumps({k: v for k, v in runs[-1].items() if k != "texts"}), flush=True)
        if decode != "eager":
            runs[-1]["same_text_as_eager"] = None
    if args.adapter_batch:
        runs += adapter_runs(loaded, images, args.adapter_batch, args.new_tokens, args.mode)
    plain = [run for run in runs if "adapter" not in run]
    report = {"kind": kind, "mode": args.mode, "new_tokens": args.new_tokens, "env": environment(), "runs": runs,
              "breakdown": parts, "profiles": profiles,
              "speedup_batched": plain[-1]["lines_per_s"] / plain[0]["lines_per_s"] if plain else None}
    for run in plain:  # the fast path must read what today's path reads (greedy, token for token)
        eager = next((r for r in plain if r["decode"] == "eager" and r["batch_size"] == run["batch_size"]), None)
        if eager and run["decode"] != "eager":
            run["same_text_as_eager"] = run["texts"] == eager["texts"][:len(run["texts"])]
        if run["decode"] != "eager" and run.get("vision_graph") != "off":  # the best default-path run per size
            key = f"decode_tps_b{run['batch_size']}"
            if run["decode"] == "auto" and run.get("experts") == "sized":
                report[key] = max(report.get(key, 0), run["new_tokens_per_s"])
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    print(f"{'model':6} {'decode':6} {'prep':5} {'graph':5} {'experts':12} {'adapter':16} {'batch':>5} {'lines':>5} "
          f"{'s/line':>8} {'lines/s':>8} "
          f"{'tokens/s':>9} {'warm-up s':>9}  same text")
    for run in runs:
        print(f"{kind:6} {run.get('decode', '-'):6} {run.get('preprocess', '-'):5} {run.get('vision_graph', '-'):5} "
              f"{run.get('experts') or '-':12} {run.get('adapter', '-'):16} "
              f"{run['batch_size']:5d} "
              f"{run['lines']:5d} {run['seconds_per_line']:8.3f} {run['lines_per_s']:8.2f} "
              f"{run['new_tokens_per_s']:9.1f} {run.get('warmup_s') or 0:9.1f}  {run.get('same_text_as_eager', '-')}")
    if plain:
        print(f"speedup_batched: {report['speedup_batched']:.2f}")


if __name__ == "__main__":
    main()
