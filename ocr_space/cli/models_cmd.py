"""`tiny-model` and `params`: build test models, check architecture sizes."""

from __future__ import annotations

import argparse

from ocr_space.models.registry import DEFAULT_FAMILY, families


def register(subparsers) -> None:
    names = sorted(families())
    tiny = subparsers.add_parser("tiny-model", help="build a tiny random-weight model folder (tests, offline demos)")
    tiny.add_argument("--out", required=True, help="folder to write")
    tiny.add_argument("--arch", default=DEFAULT_FAMILY, choices=names)
    tiny.add_argument("--seed", type=int, default=0)
    tiny.set_defaults(handler=run_tiny)

    params = subparsers.add_parser("params", help="count parameters of a full-size architecture (meta device)")
    params.add_argument("--arch", default=DEFAULT_FAMILY, choices=names)
    params.add_argument("--lora-r", type=int, default=16)
    params.add_argument("--no-experts", action="store_true", help="leave the routed MoE experts out of LoRA")
    params.set_defaults(handler=run_params)


def run_tiny(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.testing import build_tiny_model

    print_json({"model": str(build_tiny_model(args.out, family=args.arch, seed=args.seed)), "arch": args.arch})
    return 0


def run_params(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.models.params import count_architecture

    count = count_architecture(args.arch, lora_r=args.lora_r, experts=not args.no_experts)
    print_json({"params": count.params, "lora_params": count.lora_params, "arch": count.arch,
                "lora_r": count.lora_r, "lora_experts": count.lora_experts})
    return 0
