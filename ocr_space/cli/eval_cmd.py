"""`eval` and `compare`: score a model, or several engines, on a dataset split, and write the reports."""

from __future__ import annotations

import argparse
import sys

from ocr_space.evaluation.normalize import WHITESPACE_MODES


def register(subparsers) -> None:
    evaluate = subparsers.add_parser("eval", help="CER/WER of one model (+ optional LoRA adapter) on a dataset split")
    evaluate.add_argument("--model", required=True, help="Hub repo id or local model folder")
    evaluate.add_argument("--adapter", help="LoRA adapter folder or Hub repo id")
    _add_common(evaluate)
    evaluate.set_defaults(handler=run_eval)

    compare = subparsers.add_parser("compare", help="compare engines on the same split, with bootstrap intervals")
    compare.add_argument("--engine", action="append", required=True, metavar="SPEC",
                         help="[label=]MODEL[+ADAPTER], [label=]tesseract or [label=]rapidocr; repeat it. "
                              "The first engine is the baseline the others are compared with.")
    compare.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    compare.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    _add_common(compare)
    compare.set_defaults(handler=run_compare)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="dataset folder ({prefix}_{train,validation,test}.parquet)")
    parser.add_argument("--split", default="test", choices=["train", "validation", "test"])
    parser.add_argument("--limit", type=int, help="evaluate only the first N lines")
    parser.add_argument("--out", required=True, help="folder for report.json, report.csv and report.html")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--mode", help="resolution mode of the model family (e.g. tiles, base, small)")
    parser.add_argument("--prompt", default="ocr", help="prompt preset or literal prompt containing <image>")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    norm = parser.add_argument_group("text normalisation (applied to references and readings alike)")
    norm.add_argument("--no-nfkc", action="store_true", help="skip Unicode NFKC")
    norm.add_argument("--no-fold-width", action="store_true", help="keep full-width and half-width forms apart")
    norm.add_argument("--fold-punctuation", action="store_true", help="map CJK punctuation to ASCII (。->. 、->,)")
    norm.add_argument("--whitespace", choices=WHITESPACE_MODES, default="cjk",
                      help="keep | collapse | cjk (default: drop spaces next to CJK characters) | remove")


def _normalization(args: argparse.Namespace):
    from ocr_space.evaluation.normalize import Normalization

    return Normalization(nfkc=not args.no_nfkc, fold_width=not args.no_fold_width,
                         fold_punctuation=args.fold_punctuation, whitespace=args.whitespace)


def _progress(done: int, total: int, message: str) -> None:
    print(f"[{done}/{total}] {message}", file=sys.stderr, flush=True)


def _model_options(args: argparse.Namespace) -> dict:
    return dict(batch_size=args.batch_size, max_new_tokens=args.max_new_tokens, mode=args.mode, prompt=args.prompt,
                device=args.device, dtype=args.dtype)


def run_eval(args: argparse.Namespace) -> int:
    from ocr_space.evaluation.compare import evaluate

    report = evaluate(args.model, args.data, adapter=args.adapter, split=args.split, limit=args.limit, out=args.out,
                      normalization=_normalization(args), progress=_progress, **_model_options(args))
    return _finish(report)


def run_compare(args: argparse.Namespace) -> int:
    from ocr_space.evaluation.compare import compare

    report = compare(args.data, args.engine, split=args.split, limit=args.limit, out=args.out,
                     normalization=_normalization(args), resamples=args.resamples, seed=args.seed,
                     progress=_progress, **_model_options(args))
    return _finish(report)


def _finish(report) -> int:
    """Human lines (results, verdicts, files), then the one-line JSON summary engine -> CER (rank 0 only)."""
    from ocr_space.cli import print_json
    from ocr_space.distributed import is_main_process

    if not is_main_process():
        return 0

    for engine in report.engines:
        if engine.available:
            s = engine.summary
            print(f"{engine.name}\tCER {s.cer:.2%}\texact lines {s.exact_line_accuracy:.1%}\t"
                  f"{engine.throughput['lines_per_second'] or 0:.2f} lines/s")
        else:
            print(f"{engine.name}\tunavailable: {engine.unavailable}")
    for comparison in report.comparisons:
        print(comparison.verdict)
    for kind, path in report.files.items():
        print(f"{kind}\t{path}")
    print_json(report.summary())
    return 0
