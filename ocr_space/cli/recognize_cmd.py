"""`recognize`: OCR image files from the command line."""

from __future__ import annotations

import argparse

from ocr_space.recognize import PROMPTS


def register(subparsers) -> None:
    parser = subparsers.add_parser("recognize", help="OCR images with a model (and optional LoRA adapter)")
    parser.add_argument("images", nargs="+", help="image files")
    parser.add_argument("--model", required=True, help="Hub repo id or local model folder")
    parser.add_argument("--adapter", help="LoRA adapter folder or Hub repo id")
    parser.add_argument("--prompt", default="ocr",
                        help=f"preset ({', '.join(PROMPTS)}) or a literal prompt containing <image>")
    parser.add_argument("--mode", help="resolution mode of the model family (e.g. tiles, base, small)")
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--json", action="store_true", help="print one JSON object per image")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.distributed import is_main_process, map_in_shares, process_device
    from ocr_space.models import load_model
    from ocr_space.recognize import recognize_batch

    loaded = load_model(args.model, adapter=args.adapter, device=process_device(args.device), dtype=args.dtype)
    # launched as N processes, each reads a share of the images and rank 0 prints all results in input order
    results = map_in_shares(args.images, args.batch_size, lambda share: recognize_batch(
        loaded, share, prompt=args.prompt, max_new_tokens=args.max_new_tokens, mode=args.mode,
        batch_size=args.batch_size))
    if not is_main_process():
        return 0
    for path, result in zip(args.images, results):
        if args.json:
            print_json({"image": path, **result.as_dict()})
        else:
            print(f"{path}\t{result.text}")
    return 0
