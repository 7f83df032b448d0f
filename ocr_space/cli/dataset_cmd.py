"""`dataset build|synth|prelabel|fonts`: make a clean, split parquet dataset from the command line."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys

from ocr_space.images import DEFAULT_MAX_PIXELS, MIN_SIDE


def register(subparsers) -> None:
    dataset = subparsers.add_parser("dataset", help="build a train/validation/test parquet dataset")
    commands = dataset.add_subparsers(dest="dataset_command", required=True)

    build = commands.add_parser(
        "build", help="from a manifest, CSV/TSV/JSONL, folder, zip, parquet/arrow dataset or Hub id",
        description="Ends with one JSON line: {\"train\": n, \"validation\": n, \"test\": n, \"rejected\": n}.")
    build.add_argument("input", help="manifest (.txt), table (.csv/.tsv/.jsonl), folder, .zip, parquet/arrow "
                                     "file or folder, or a Hub dataset id")
    _output_arguments(build)
    build.add_argument("--kind", default="auto", choices=["auto", "manifest", "table", "folder", "zip", "dataset"],
                       help="how to read INPUT (default: guess from suffix and contents)")
    build.add_argument("--image-column", help="column holding the image (path) in a table or dataset")
    build.add_argument("--text-column", help="column holding the transcription")
    build.add_argument("--split-column", help="column holding each row's split (kept with --split keep)")
    build.add_argument("--columns", help="mapping source=role, e.g. image_path=image,ocr=text")
    build.add_argument("--source-split", help="splits and rows of an existing dataset, e.g. 'train[:1000]'")
    build.add_argument("--root", help="folder image paths must stay inside (default: the manifest's folder)")
    build.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="larger images are rejected")
    build.add_argument("--min-side", type=int, default=MIN_SIDE, help="images with a shorter side are rejected")
    build.set_defaults(handler=run_build)

    synth = commands.add_parser(
        "synth", help="render text lines with CJK fonts and scan-like degradations",
        description="Ends with one JSON line: {\"train\": n, \"validation\": n, \"test\": n, \"rejected\": n} "
                    "(with --images: {\"images\": n, \"rejected\": n, \"manifest\": path}).")
    text = synth.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help="text file, one line per sample")
    text.add_argument("--vocab", help="vocabulary file, one term per line; lines are composed from random terms")
    _output_arguments(synth)
    synth.add_argument("--n", type=int, help="number of samples (default: one per line; lines repeat with "
                                             "other fonts and degradations)")
    synth.add_argument("--fonts", nargs="+", help="font files or installed names (ukai, wqy-microhei, ...); "
                                                  "default: every installed CJK font")
    synth.add_argument("--font-size", default="28,40", help="smallest,largest font size in px")
    synth.add_argument("--blur", type=float, default=1.0, help="largest Gaussian blur radius (px)")
    synth.add_argument("--noise", type=float, default=8.0, help="largest pixel-noise standard deviation (0-255)")
    synth.add_argument("--jpeg", type=int, default=30, help="lowest JPEG quality (0 = no JPEG artefacts)")
    synth.add_argument("--rotation", type=float, default=2.0, help="largest tilt in degrees")
    synth.add_argument("--contrast", type=float, default=0.5, help="lowest contrast factor (1 = never faded)")
    synth.add_argument("--no-background", action="store_true", help="plain paper instead of scan-like")
    synth.add_argument("--clean", action="store_true", help="no degradations at all")
    synth.add_argument("--images", action="store_true",
                       help="write images/*.png and manifest.txt into --out instead of a parquet dataset")
    synth.add_argument("--palette", type=int, help="with --images: store PNGs with this many colours (smaller)")
    synth.set_defaults(handler=run_synth)

    pre = commands.add_parser("prelabel", help="draft transcriptions with a model, to correct before building")
    pre.add_argument("images", nargs="+", help="image files")
    pre.add_argument("--model", required=True, help="Hub repo id or local model folder")
    pre.add_argument("--adapter", help="LoRA adapter folder or Hub repo id")
    pre.add_argument("--out", required=True, help="TSV to write (file_name, text); edit it, then `dataset build`")
    pre.add_argument("--mode", help="resolution mode of the model family (e.g. small for text lines)")
    pre.add_argument("--max-new-tokens", type=int, default=256)
    pre.add_argument("--batch-size", type=int, default=8)
    pre.add_argument("--device", default="auto")
    pre.set_defaults(handler=run_prelabel)

    fonts = commands.add_parser("fonts", help="list the CJK fonts synth can use")
    fonts.set_defaults(handler=run_fonts)


def _output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--prefix", default="data", help="file prefix: {prefix}_{split}.parquet")
    parser.add_argument("--split", default="auto",
                        help="train,validation,test ratios (default 0.8,0.1,0.1), 'keep' the source's splits, or "
                             "'auto' (keep them when the source has them); 0,0,1 = an evaluation-only set (test "
                             "split only)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the split (and of synth's rendering)")


def run_build(args: argparse.Namespace) -> int:
    from ocr_space.data.build import build_dataset
    from ocr_space.data.sources import ColumnMapping

    columns = ColumnMapping.parse(args.columns)
    columns = ColumnMapping(args.image_column or columns.image, args.text_column or columns.text,
                            args.split_column or columns.split)
    with _progress_bar() as progress:
        built = build_dataset(args.input, args.out, prefix=args.prefix, split=args.split, seed=args.seed,
                              kind=args.kind, columns=columns, source_split=args.source_split, root=args.root,
                              max_pixels=args.max_pixels, min_side=args.min_side, progress=progress)
    return _finish(built)


def run_synth(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.data.synth import Degradations, compose_lines, read_lines, synth_dataset, write_synth_images
    from ocr_space.errors import ConfigError

    try:
        low, high = (int(v) for v in args.font_size.split(","))
    except ValueError as exc:
        raise ConfigError(f"--font-size must look like 28,40; got {args.font_size!r}.") from exc
    degradations = Degradations.none() if args.clean else Degradations(
        blur=args.blur, noise=args.noise, jpeg=args.jpeg, rotation=args.rotation, contrast=args.contrast,
        background=not args.no_background)
    if args.text:
        lines = read_lines(args.text)
    else:
        lines = compose_lines(read_lines(args.vocab), args.n or 100, seed=args.seed)
    if args.images:
        command = "python -m ocr_space dataset " + shlex.join(sys.argv[2:]) if sys.argv[1:2] == ["dataset"] else None
        written = write_synth_images(lines, args.out, n=args.n, fonts=args.fonts, degradations=degradations,
                                     seed=args.seed, font_size=(low, high), palette=args.palette, command=command)
        print_json({"images": len(written.images), "rejected": len(written.unrenderable),
                    "manifest": str(written.manifest)})
        return 0
    with _progress_bar() as progress:
        built = synth_dataset(lines, args.out, n=args.n, fonts=args.fonts, degradations=degradations,
                              seed=args.seed, font_size=(low, high), prefix=args.prefix, split=args.split,
                              progress=progress)
    return _finish(built)


def run_prelabel(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.data.prelabel import prelabel, write_drafts
    from ocr_space.models import load_model

    loaded = load_model(args.model, adapter=args.adapter, device=args.device)
    with _progress_bar() as progress:
        drafts = prelabel(loaded, args.images, max_new_tokens=args.max_new_tokens, mode=args.mode,
                          batch_size=args.batch_size, progress=progress)
    for draft in drafts:
        if draft.error:
            print(f"warning: {draft.image}: {draft.error}", file=sys.stderr)
    path = write_drafts(drafts, args.out)
    print_json({"drafted": sum(d.error is None for d in drafts), "unreadable": sum(d.error is not None for d in drafts),
                "out": str(path)})
    return 0


def run_fonts(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.data.fonts import find_cjk_fonts

    print_json({"fonts": [str(path) for path in find_cjk_fonts()]})
    return 0


def _finish(built) -> int:
    """Print the rejection reasons (stderr) and the summary line (stdout); no samples at all is an error."""
    from ocr_space.cli import print_json

    for note in built.notes:  # e.g. which encoding a manifest was read as
        print(f"note: {note}", file=sys.stderr)
    for reason, count in sorted(built.stats.rejected.items()):
        print(f"rejected {count} x {reason} (details: {built.rejected_file})", file=sys.stderr)
    print_json(built.summary())
    if not built.files:
        print(f"error: no sample passed the checks; see {built.rejected_file}", file=sys.stderr)
        return 2
    return 0


@contextlib.contextmanager
def _progress_bar():
    """A tqdm bar on stderr fed by the core's ``progress(done, total, description)`` callback."""
    import datasets
    from tqdm.auto import tqdm

    datasets.disable_progress_bars()  # ours replaces its per-stage bars
    bar = tqdm(file=sys.stderr, unit="sample", dynamic_ncols=True, disable=None)

    def progress(done: int, total: int | None, description: str) -> None:
        if bar.total != total:
            bar.reset(total=total)
        bar.set_description(description, refresh=False)
        bar.n = done
        bar.refresh()

    try:
        yield progress
    finally:
        bar.close()
