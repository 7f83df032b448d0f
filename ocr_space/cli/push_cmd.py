"""`push adapter|merged|dataset`: share a run's adapter, a merged model or a dataset on the Hub.

The token comes from HF_TOKEN (or `hf auth login`), never from the command
line, where it would end up in the shell history. Progress goes to stderr; the
last line on stdout is a JSON summary.
"""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    push = subparsers.add_parser("push", help="push an adapter, a merged model or a dataset to the Hugging Face Hub")
    kinds = push.add_subparsers(dest="kind", required=True)
    adapter = kinds.add_parser("adapter", help="a training run folder (or its adapter/ folder)")
    adapter.add_argument("path", metavar="RUN_OR_DIR")
    adapter.add_argument("--base-model", help="Hub id of the base model, if the run used a local copy of it")
    merged = kinds.add_parser("merged", help="a merged model folder (loads without PEFT)")
    merged.add_argument("path", metavar="DIR")
    merged.add_argument("--base-model", help="Hub id of the base model the adapter was merged into")
    dataset = kinds.add_parser("dataset", help="a dataset folder ({prefix}_{split}.parquet)")
    dataset.add_argument("path", metavar="DIR")
    for parser in (adapter, merged):
        parser.add_argument("--dataset", help="Hub id of the training dataset, for the card's links")
    for parser in (adapter, merged, dataset):
        parser.add_argument("--repo", required=True, help="USER/NAME (or NAME for your own namespace)")
        visibility = parser.add_mutually_exclusive_group()
        visibility.add_argument("--private", dest="private", action="store_true", default=True,
                                help="create the repo private (the default)")
        visibility.add_argument("--public", dest="private", action="store_false", help="create the repo public")
        parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.hub import push_adapter, push_dataset, push_merged

    def progress(fraction: float, message: str) -> None:
        print(f"[{fraction:4.0%}] {message}", file=sys.stderr, flush=True)

    common = {"private": args.private, "progress": progress}
    if args.kind == "adapter":
        result = push_adapter(args.path, args.repo, base_model=args.base_model, dataset=args.dataset, **common)
    elif args.kind == "merged":
        result = push_merged(args.path, args.repo, base_model=args.base_model, dataset=args.dataset, **common)
    else:
        result = push_dataset(args.path, args.repo, **common)
    print_json(result.as_dict())
    return 0
