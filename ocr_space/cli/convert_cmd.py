"""`convert`: DeepSeek-OCR v1 checkpoints between the official layout and transformers' native one."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    convert = subparsers.add_parser(
        "convert", help="convert DeepSeek-OCR v1 weights: official layout <-> transformers' native Unlimited-OCR layout")
    direction = convert.add_mutually_exclusive_group(required=True)
    direction.add_argument("--from-v1", metavar="SRC", help="official v1 folder or Hub repo (deepseek-ai/DeepSeek-OCR)")
    direction.add_argument("--to-v1", metavar="SRC", help="native v1 folder (e.g. a merged fine-tune) to write for "
                                                          "vLLM or the official code")
    convert.add_argument("--out", required=True, help="new folder to write")
    convert.set_defaults(handler=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.models.deepseek_ocr_v1.convert import convert_from_v1, convert_to_v1
    from ocr_space.models.loading import checkpoint_folder

    if args.from_v1:
        report = convert_from_v1(checkpoint_folder(args.from_v1), args.out)
    else:
        report = convert_to_v1(checkpoint_folder(args.to_v1), args.out)
    print_json(report.as_dict())
    return 0
