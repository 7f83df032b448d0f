"""A document's results as files: the pages joined into ``.txt``, ``.md`` and ``.json``, figures beside them.

The CLI's ``--out`` and the Recognize tab's downloads write the same files:

    out/
      report.txt            the clean text, pages separated by a form feed line (as pdftotext does)
      report.md             the markdown, pages separated by a rule, figures linked into report_figures/
      report.json           {"image": source, "pages": [{page, text, seconds, new_tokens, mode, regions, ...}]}
      report_figures/       page-2-figure-1.png, ...: the crops the markdown links (only when there are figures)

Two inputs with the same stem (``a/scan.png`` and ``b/scan.pdf``) get
``scan`` and ``scan-2``, so nothing is overwritten.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only its attributes are read; importing recognize would load torch
    from ocr_space.recognize import Recognition

#: between pages of one document
TEXT_PAGE_BREAK = "\n\f\n"
MARKDOWN_PAGE_BREAK = "\n\n---\n\n"


def document_text(results: Sequence[Recognition]) -> str:
    """The pages' clean text, joined with a form feed line between pages."""
    return TEXT_PAGE_BREAK.join(result.text for result in results)


def document_markdown(results: Sequence[Recognition], figures_dir: str = "figures") -> str:
    """The pages' markdown joined with a rule, each figure linked as ``figures_dir/<name>``."""
    return MARKDOWN_PAGE_BREAK.join(result.render_markdown(lambda name: f"{figures_dir}/{name}")
                                    for result in results)


def document_json(source: str, results: Sequence[Recognition]) -> dict:
    """The per-page results of one input, JSON-ready."""
    return {"image": source, "pages": [result.as_dict() for result in results]}


def unique_stems(sources: Sequence[str]) -> list[str]:
    """A file-name stem per source, made unique with ``-2``, ``-3``... in order.

    >>> unique_stems(["a/scan.png", "b/scan.pdf", "memo.pdf"])
    ['scan', 'scan-2', 'memo']
    """
    stems: list[str] = []
    for source in sources:
        stem = Path(str(source)).stem or "document"
        candidate, count = stem, 1
        while candidate in stems:
            count += 1
            candidate = f"{stem}-{count}"
        stems.append(candidate)
    return stems


def write_document(source: str, results: Sequence[Recognition], out_dir: str | Path, stem: str) -> list[Path]:
    """Write ``stem.txt``, ``stem.md``, ``stem.json`` (and ``stem_figures/``) into ``out_dir``; returns the files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    figures_dir = f"{stem}_figures"
    written = []
    for suffix, content in ((".txt", document_text(results)), (".md", document_markdown(results, figures_dir)),
                            (".json", json.dumps(document_json(source, results), ensure_ascii=False, indent=2))):
        path = out / f"{stem}{suffix}"
        path.write_text(content + "\n", encoding="utf-8")
        written.append(path)
    for result in results:
        for name, crop in result.figures.items():
            (out / figures_dir).mkdir(exist_ok=True)
            crop.save(out / figures_dir / name)
            written.append(out / figures_dir / name)
    return written


def zip_files(files: Sequence[Path], root: str | Path, zip_path: str | Path) -> Path:
    """One ``.zip`` of ``files``, stored by their path relative to ``root`` (folders kept)."""
    zip_path = Path(zip_path)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in files:
            archive.write(file, Path(file).relative_to(root).as_posix())
    return zip_path


def write_documents(documents: Sequence[tuple[str, Sequence[Recognition]]], out_dir: str | Path,
                    zip_name: str | None = "results.zip") -> list[Path]:
    """Write every (source, results) document (see :func:`write_document`); with several documents or any
    figures, also ``zip_name`` holding all of it. Returns the per-document .txt/.md/.json files, then the zip.

    >>> write_documents([("scan.png", results)], "out/")  # doctest: +SKIP
    [PosixPath('out/scan.txt'), PosixPath('out/scan.md'), PosixPath('out/scan.json')]
    """
    out = Path(out_dir)
    stems = unique_stems([source for source, _ in documents])
    listed, everything = [], []
    for (source, results), stem in zip(documents, stems, strict=True):
        written = write_document(source, results, out, stem)
        listed.extend(path for path in written if path.parent == out)
        everything.extend(written)
    if zip_name and (len(documents) > 1 or len(everything) > len(listed)):
        listed.append(zip_files(everything, out, out / zip_name))
    return listed
