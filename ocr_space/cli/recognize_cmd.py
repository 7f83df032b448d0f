"""`recognize`: OCR image and PDF files from the command line, one JSON object per page.

A file that cannot be read (corrupt, missing, a page range past its end)
prints an error object for that file and the others are still read; the
exit code is then 1. Usage mistakes (a bad flag, a model that does not load)
exit 2 before anything is read.
"""

from __future__ import annotations

import argparse

from ocr_space.recognize import PROMPTS


def register(subparsers) -> None:
    parser = subparsers.add_parser("recognize", help="OCR images and PDFs with a model (and optional LoRA adapter)")
    parser.add_argument("images", nargs="+", help="image or PDF files")
    parser.add_argument("--model", required=True, help="Hub repo id or local model folder")
    parser.add_argument("--adapter", help="LoRA adapter folder or Hub repo id")
    parser.add_argument("--prompt", default="ocr",
                        help=f"preset ({', '.join(PROMPTS)}) or a literal prompt containing <image>")
    parser.add_argument("--mode", help="resolution mode of the model family (e.g. tiles, base, small); default: "
                                       "the adapter's training mode, else the family's default")
    parser.add_argument("--pages", help="pages of each PDF to read, e.g. '1-3,5' or '8-' (default: all, up to "
                                        "$OCR_SPACE_MAX_PDF_PAGES)")
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--out", help="folder for per-file .txt, .md (figures beside it) and .json")
    parser.add_argument("--json", action="store_true",
                        help="accepted for older scripts: output is always one JSON object per page")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ocr_space.cli import print_json
    from ocr_space.distributed import is_main_process, process_device
    from ocr_space.documents import page_ranges
    from ocr_space.errors import ConfigError
    from ocr_space.models import load_model
    from ocr_space.recognize import reading_mode, resolve_prompt

    # usage mistakes end the run (exit 2) before the model loads
    page_ranges(args.pages)
    resolve_prompt(args.prompt)
    if args.max_new_tokens < 1 or args.batch_size < 1:
        raise ConfigError("--max-new-tokens and --batch-size must be at least 1.")
    loaded = load_model(args.model, adapter=args.adapter, device=process_device(args.device), dtype=args.dtype)
    mode = reading_mode(loaded, args.mode)
    options = dict(prompt=args.prompt, max_new_tokens=args.max_new_tokens, mode=mode, batch_size=args.batch_size)

    pages_by_file, failed = _load_files(loaded, args.images, mode, args.pages)
    results_by_file = _read(loaded, pages_by_file, failed, options)
    if not is_main_process():  # launched as N processes: each read a share of the pages, rank 0 prints them all
        return 1 if failed else 0
    stems = _stems(args.images)
    for path in args.images:
        if path in failed:
            print_json({"image": path, "page": None, "error": failed[path]})
            continue
        for result in results_by_file[path]:
            print_json({"image": path, **result.as_dict()})
        if args.out:
            from ocr_space.document_outputs import write_document

            try:
                write_document(path, results_by_file[path], args.out, stems[path])
            except OSError as exc:
                raise ConfigError(f"Could not write the results of {path} to {args.out}: {exc}") from exc
    return 1 if failed else 0


def _load_files(loaded, paths: list[str], mode: str, pages: str | None):
    """Each file's pages, and file -> error message for the files that could not be opened."""
    from ocr_space.errors import OcrSpaceError
    from ocr_space.recognize import read_pages

    pages_by_file, failed = {}, {}
    for path in dict.fromkeys(paths):
        try:
            pages_by_file[path] = read_pages(loaded, path, mode, pages)
        except OcrSpaceError as exc:
            failed[path] = str(exc)
    return pages_by_file, failed


def _read(loaded, pages_by_file: dict, failed: dict, options: dict) -> dict:
    """All pages batched together (split across processes when launched as several, gathered in input order);
    if a batch fails, file by file, so only the file at fault is reported."""
    from ocr_space.distributed import map_in_shares
    from ocr_space.errors import OcrSpaceError
    from ocr_space.recognize import recognize_pages

    all_pages = [page for pages in pages_by_file.values() for page in pages]
    try:
        results = map_in_shares(all_pages, options["batch_size"],
                                lambda share: recognize_pages(loaded, share, **options))
    except OcrSpaceError:
        results = None
    by_file = {}
    for path, pages in pages_by_file.items():
        if results is not None:
            by_file[path], results = results[:len(pages)], results[len(pages):]
            continue
        try:
            by_file[path] = recognize_pages(loaded, pages, **options)
        except OcrSpaceError as exc:
            failed[path] = str(exc)
    return by_file


def _stems(paths: list[str]) -> dict[str, str]:
    from ocr_space.document_outputs import unique_stems

    unique = list(dict.fromkeys(paths))
    return dict(zip(unique, unique_stems(unique), strict=True))
