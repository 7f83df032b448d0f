"""`train` and `merge`: fine-tune a LoRA adapter, continue a run, fold an adapter into its base."""

from __future__ import annotations

import argparse
import sys

from ocr_space.cli.train_flags import add_train_flags, flags_given
from ocr_space.train.recipe import PRESETS, TrainConfig


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "train", help="fine-tune a LoRA adapter on a dataset (or --resume a run)",
        description="Settings come from the preset, then --config, then the flags given. Progress goes to stderr, "
                    "a JSON summary to stdout. Ctrl-C stops after the current step with a checkpoint.")
    parser.add_argument("--config", help="YAML file of TrainConfig fields")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="starting point (default: quick = the reference)")
    parser.add_argument("--resume", metavar="RUN", help="continue this run folder from its latest checkpoint")
    add_train_flags(parser)
    parser.set_defaults(handler=run_train)

    merge = subparsers.add_parser("merge", help="merge a LoRA adapter into its base model (16-bit, no PEFT needed)")
    merge.add_argument("--model", required=True, help="base model: Hub repo id or local folder")
    merge.add_argument("--adapter", required=True, help="adapter folder (run_dir/adapter) or Hub repo id")
    merge.add_argument("--out", required=True, help="folder to write the merged model to")
    merge.add_argument("--dtype", default="float16", choices=["float16", "bfloat16", "float32"])
    merge.add_argument("--device", default="auto")
    merge.set_defaults(handler=run_merge)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Preset, then the settings the --config file names, then explicit flags."""
    from ocr_space.train.recipe import preset, read_yaml_settings

    config = preset(args.preset or "quick")
    if args.config:
        config = config.replace(**read_yaml_settings(args.config))
    return config.replace(**flags_given(args))


def _print_progress(event: dict) -> None:
    loss = f"{event['loss']:.4f}" if event.get("loss") is not None else "-"
    print(f"step {event['step']}/{event['max_steps']} loss {loss} lr {event.get('lr') or 0:.3g} "
          f"eta {event.get('eta', 0):.0f}s", file=sys.stderr, flush=True)


def run_train(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.errors import ConfigError
    from ocr_space.train import resume, train

    if args.resume:
        if args.model or args.data or args.config:
            raise ConfigError("--resume continues a run with its own config.yaml; give only --resume RUN "
                              "(and optionally --steps N).")
        result = resume(args.resume, steps=args.steps, on_event=_print_progress)
    else:
        result = train(config_from_args(args), on_event=_print_progress)
    from ocr_space.distributed import is_main_process

    if not is_main_process():  # launched as N processes: process 0 reports for all
        return 0 if result.state == "done" else 1
    metrics = result.metrics or {}
    print_json({"run_dir": str(result.run_dir), "state": result.state, "step": result.step,
                "max_steps": result.max_steps, "adapter": str(result.adapter) if result.adapter else None,
                "cer_before": metrics.get("cer_before"), "cer_after": metrics.get("cer_after")})
    return 0 if result.state == "done" else 1


def run_merge(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.train import merge

    out = merge(args.model, args.adapter, args.out, dtype=args.dtype, device=args.device)
    print_json({"model": str(out), "base": args.model, "adapter": args.adapter, "dtype": args.dtype})
    return 0
