"""How much faster is batched evaluation than reading lines one by one? (and is it identical?)

Runs the evaluation runner over the same lines at several batch sizes with one
loaded model, prints a table and writes the numbers as JSON. Batch size 1 is
"one by one"; every other batch size must give exactly its outputs (greedy).

GPU (the real model):
    python bench/eval_batch_speed.py --model deepseek-community/DeepSeek-OCR-2 --data DATASET \
        --limit 64 --batch-sizes 1,8,16 --out bench/eval_batch_speed.json
CPU smoke test (tiny random model, example lines, seconds):
    python bench/eval_batch_speed.py --tiny --out /tmp/eval_batch_speed.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="JSON file to write")
    parser.add_argument("--tiny", action="store_true", help="CPU smoke mode: tiny random model on examples/lines")
    parser.add_argument("--model", help="model folder or Hub id (not with --tiny)")
    parser.add_argument("--adapter")
    parser.add_argument("--data", help="dataset folder; default: the example lines")
    parser.add_argument("--split", default="test")
    parser.add_argument("--limit", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1, help="repeat the example lines N times (no --data)")
    parser.add_argument("--batch-sizes", default="1,8", help="comma-separated; 1 is the one-by-one baseline")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--mode")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    args = parser.parse_args(argv)
    if args.tiny:
        args.device, args.max_new_tokens, args.mode = "cpu", min(args.max_new_tokens, 6), args.mode or "small"
        args.batch_sizes = "1,4" if args.batch_sizes == "1,8" else args.batch_sizes
    elif not args.model:
        parser.error("give --model (or --tiny)")
    args.batch_sizes = sorted({int(size) for size in args.batch_sizes.split(",")} | {1})
    return args


def example_samples(repeat: int):
    from ocr_space.evaluation.runner import EvalSamples

    lines = [line.split(" ", 1) for line in (ROOT / "examples/lines/lines.txt").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    images = [ROOT / "examples/lines" / name for name, _ in lines] * repeat
    return EvalSamples.from_lists(images, [text for _, text in lines] * repeat, name="examples/lines")


def main(argv=None) -> int:
    args = parse_args(argv)
    from ocr_space.evaluation.engines import LoadedModelEngine
    from ocr_space.evaluation.runner import EvalSamples, run_engines
    from ocr_space.models.loading import load_model

    model = args.model
    if args.tiny:
        from ocr_space.testing import build_tiny_model

        model = str(build_tiny_model(tempfile.mkdtemp(prefix="tiny-ocr-")))
    loaded = load_model(model, adapter=args.adapter, device=args.device, dtype=args.dtype)
    samples = (EvalSamples.from_split(args.data, args.split, args.limit) if args.data
               else example_samples(args.repeat))
    options = dict(max_new_tokens=args.max_new_tokens, mode=args.mode)
    run_engines(EvalSamples(samples.texts[:1], samples.images, samples.source),  # warm-up, not timed
                [LoadedModelEngine("warm-up", loaded, batch_size=1, **options)])

    results, baseline_texts = [], None
    for batch_size in args.batch_sizes:
        run = run_engines(samples, [LoadedModelEngine(f"batch {batch_size}", loaded, batch_size=batch_size,
                                                      **options)])[0]
        texts = [reading.text for reading in run.readings]
        baseline_texts = baseline_texts or texts
        speed = run.throughput()
        results.append({"batch_size": batch_size, "lines": speed["lines"], "seconds": speed["read_seconds"],
                        "lines_per_second": speed["lines_per_second"], "tokens_per_second": speed["tokens_per_second"],
                        "new_tokens": speed["new_tokens"], "identical_to_one_by_one": texts == baseline_texts})
    one_by_one = results[0]["seconds"]
    for row in results:
        row["speedup"] = one_by_one / row["seconds"] if row["seconds"] else None

    payload = {"model": model, "adapter": args.adapter, **loaded.describe(), "lines": len(samples),
               "max_new_tokens": args.max_new_tokens, "mode": args.mode, "tiny": args.tiny, "results": results,
               "best_speedup": max(row["speedup"] or 0 for row in results),
               "all_identical": all(row["identical_to_one_by_one"] for row in results)}
    print(f"{'batch':>5} {'lines':>5} {'seconds':>8} {'lines/s':>8} {'tokens/s':>9} {'speed-up':>8}  identical")
    for row in results:
        print(f"{row['batch_size']:>5} {row['lines']:>5} {row['seconds']:>8.2f} {row['lines_per_second']:>8.2f} "
              f"{row['tokens_per_second'] or 0:>9.1f} {row['speedup']:>7.2f}x  {row['identical_to_one_by_one']}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0 if payload["all_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
