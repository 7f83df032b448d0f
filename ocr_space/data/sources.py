"""Read the shapes users bring their OCR data in, as one stream of candidates.

Accepted inputs (``kind="auto"`` tells them apart):

- plain manifest: ``<image path><whitespace><transcription>`` per line, ``#``
  comments and blank lines skipped, paths relative to the manifest's folder;
- CSV / TSV / JSONL / JSON tables with an image-path column and a text column
  (auto-detected, or named through :class:`ColumnMapping`), including Hugging
  Face ImageFolder ``metadata.jsonl``; an optional ``split`` column is kept;
- a folder of images with same-stem ``.txt`` transcriptions, or a ``.zip`` of
  any of these (extracted safely: no entry may escape the extraction folder);
- an existing dataset: a local parquet/arrow folder or file, a
  ``save_to_disk`` folder, or a Hub dataset id, with an optional row limit
  such as ``train[:1000]``;
- rows from the UI (:func:`rows_source`).

Sources never decide whether a sample is good; they only report what they
found, including what is already known to be wrong (a path outside the
dataset folder, an image without a transcription).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from itertools import chain
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator, Mapping, Sequence

from PIL import Image

from ocr_space.data.samples import Candidate, Source
from ocr_space.data.splits import DatasetError
from ocr_space.data.validate import read_text_file
from ocr_space.errors import ConfigError
from ocr_space.hub_reads import hub_read_token
from ocr_space.hub_ids import is_hub_id

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif"}
TABLE_SUFFIXES = {".csv", ".tsv", ".jsonl", ".json"}
DATASET_SUFFIXES = {".parquet", ".arrow"}
#: Column names tried, in order, when the user names none (Hugging Face ImageFolder uses ``file_name``).
IMAGE_COLUMNS = ("file_name", "image", "path", "image_path", "file", "filename", "img", "image_file")
TEXT_COLUMNS = ("text", "label", "transcription", "ground_truth", "gt", "ocr")
SPLIT_COLUMNS = ("split",)
SPLIT_ALIASES = {"train": "train", "training": "train", "validation": "validation", "valid": "validation",
                 "val": "validation", "dev": "validation", "test": "test", "testing": "test"}
KINDS = ("auto", "manifest", "table", "folder", "zip", "dataset")
MAX_ZIP_ENTRY_BYTES = 1 << 30
MAX_ZIP_TOTAL_BYTES = 20 << 30
_ZIP_JUNK = re.compile(r"(^|/)(__MACOSX/|\._|\.DS_Store$|Thumbs\.db$)")
_SLICE = re.compile(r"^\s*([\w.-]+)\s*(?:\[\s*(-?\d*)\s*:\s*(-?\d*)\s*\])?\s*$")


@dataclass(frozen=True)
class ColumnMapping:
    """Which columns hold the image, the text and (optionally) the split; ``None`` = auto-detect.

    >>> ColumnMapping.parse("image_path=image,ocr=text")
    ColumnMapping(image='image_path', text='ocr', split=None)
    """

    image: str | None = None
    text: str | None = None
    split: str | None = None

    @classmethod
    def parse(cls, spec: ColumnMapping | str | Mapping[str, str] | None) -> ColumnMapping:
        """From ``"src=image,src=text"`` or ``{"src": "image"}`` (source column -> role)."""
        if spec is None or isinstance(spec, ColumnMapping):
            return spec or cls()
        if isinstance(spec, str):
            pairs = [item.split("=", 1) for item in spec.split(",") if item.strip()]
            if any(len(pair) != 2 for pair in pairs):
                raise ConfigError(f"columns must look like 'image_path=image,ocr=text'; got {spec!r}.")
            spec = {source.strip(): role.strip() for source, role in pairs}
        roles: dict[str, str] = {}
        for source, role in spec.items():
            if role not in ("image", "text", "split"):
                raise ConfigError(f"column role must be image, text or split; got {role!r} for {source!r}.")
            roles[role] = source
        return cls(roles.get("image"), roles.get("text"), roles.get("split"))


def canonical_split(name: Any) -> str | None:
    """``val``/``dev``/``valid`` -> ``validation`` and so on; ``None`` for names that are not a known split."""
    return SPLIT_ALIASES.get(str(name).strip().lower()) if name is not None else None


def open_source(input: str | Path | Source, *, kind: str = "auto", columns: ColumnMapping | str | Mapping | None = None,
                source_split: str | None = None, root: str | Path | None = None, flat: bool = False) -> Source:
    """Open any accepted input as a :class:`Source` (use it in a ``with`` block: a zip is extracted to a temp folder).

    ``root`` widens the folder that image paths must stay inside (default: the
    manifest's or the folder's own location); ``source_split`` selects splits
    and rows of an existing dataset (``"train[:1000]"``); ``flat`` says the
    files were uploaded one by one into one folder (a browser drops folders),
    so a manifest's ``images/a.png`` is looked up as ``a.png`` next to it.

    >>> with open_source("examples/lines/lines.txt") as source:
    ...     [c.text for c in source][:1]
    ['今天天气很好，我们去公园散步。']
    """
    if isinstance(input, Source):
        return input
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}.")
    columns = ColumnMapping.parse(columns)
    path = Path(input)
    if kind == "auto":
        kind, path = detect_kind(str(input))
    if source_split and kind != "dataset":
        raise ConfigError("A source split such as 'train[:1000]' applies to existing datasets (parquet, arrow, "
                          f"Hub id) only; {path.name} is read as {kind}.")
    root_path = Path(root).resolve() if root else None
    if kind == "dataset":
        return dataset_source(str(input) if not path.exists() else path, columns, source_split, root_path)
    if not path.exists():
        raise DatasetError(f"Input not found: {path}")
    if kind == "zip":
        return zip_source(path, columns)
    if kind == "folder":
        if not path.is_dir():
            raise DatasetError(f"{path} is not a folder.")
        return folder_source(path, root_path)
    if path.is_dir():
        raise DatasetError(f"{path} is a folder; pass the {kind} file inside it, or kind='auto'.")
    if kind == "table":
        return table_source(path, columns, root_path, flat)
    return manifest_source(path, root_path, flat)


def detect_kind(input: str) -> tuple[str, Path]:
    """Tell the input kinds apart by suffix and folder contents; returns ``(kind, path to read)``."""
    path = Path(input)
    if not path.exists():
        looks_like_file = path.suffix.lower() in TABLE_SUFFIXES | DATASET_SUFFIXES | {".txt", ".zip"}
        if is_hub_id(input, owner_optional=True) and not looks_like_file:
            return "dataset", path
        raise DatasetError(f"Input not found: {input}")
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".zip":
            return "zip", path
        if suffix in TABLE_SUFFIXES:
            return "table", path
        if suffix in DATASET_SUFFIXES:
            return "dataset", path
        return "manifest", path
    return _detect_folder_kind(path)


def _detect_folder_kind(folder: Path) -> tuple[str, Path]:
    for name in ("metadata.jsonl", "metadata.csv", "metadata.tsv", "metadata.json"):
        if (folder / name).is_file():
            return "table", folder / name
    if (folder / "dataset_dict.json").is_file() or (folder / "state.json").is_file():
        return "dataset", folder
    if any(p.suffix.lower() in DATASET_SUFFIXES for p in chain(folder.glob("*"), folder.glob("*/*"))):
        return "dataset", folder
    files = [p for p in folder.rglob("*") if p.is_file()]
    stems = {p.with_suffix("") for p in files if p.suffix.lower() == ".txt"}
    if any(p.suffix.lower() in IMAGE_SUFFIXES and p.with_suffix("") in stems for p in files):
        return "folder", folder
    manifests = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES | {".txt"}]
    if len(manifests) == 1:
        kind = "table" if manifests[0].suffix.lower() in TABLE_SUFFIXES else "manifest"
        return kind, manifests[0]
    found = ", ".join(sorted(p.name for p in manifests)) or "none"
    raise DatasetError(f"Cannot tell how {folder} is organised: no metadata.jsonl, no parquet/arrow files, no "
                       f"images with same-stem .txt files, and not exactly one manifest (found: {found}). "
                       "Pass the manifest file itself.")


# -- plain manifest ----------------------------------------------------------------------------------------------

def manifest_source(path: Path, root: Path | None = None, flat: bool = False) -> Source:
    """``<image path><whitespace><transcription>`` per line (the original one-off script's format)."""
    text, encoding = read_text_file(path)
    base = path.parent.resolve()
    entries = []
    for number, line in enumerate(_lines(text), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, *rest = stripped.split(None, 1)  # the first whitespace run separates path and text
        entries.append((number, name, rest[0] if rest else ""))

    def candidates() -> Iterator[Candidate]:
        for number, name, transcription in entries:
            yield file_candidate(f"{path.name}:{number}", name, transcription, base, root or base, flat=flat)

    return Source(f"plain manifest {path.name} ({encoding})", candidates(), total=len(entries),
                  notes=[f"{path.name} read as {encoding}"])


def _lines(text: str) -> list[str]:
    # str.splitlines() would also split on U+2028 and friends, which may sit inside a transcription.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def file_candidate(ref: str, name: str, text: str | None, base: Path, root: Path, split: str | None = None,
                   flat: bool = False) -> Candidate:
    """A candidate for an image path from a manifest or table: resolved against ``base``, kept inside ``root``
    (with ``flat``, a file of the same name directly in ``base`` is used when the path itself does not exist)."""
    if flat and name and not (base / name).exists():
        same_name = base / PurePosixPath(name.replace("\\", "/")).name
        if same_name.is_file():
            name = same_name.name
    path, problem = resolve_inside(name, base, root)
    return Candidate(ref, path, text, split, problem)


def resolve_inside(name: str, base: Path, root: Path) -> tuple[Path | None, tuple[str, str] | None]:
    """Resolve ``name`` (relative to ``base`` unless absolute, symlinks followed) and refuse it outside ``root``."""
    name = (name or "").strip()
    if not name:
        return None, ("missing_file", "no image path given")
    path = Path(name) if Path(name).is_absolute() else base / name
    if "\\" in name and not path.exists():  # a manifest written on Windows
        path = base / name.replace("\\", "/")
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        return None, ("outside_root", f"{name} is outside the dataset folder {root}")
    return resolved, None


# -- tables: CSV / TSV / JSONL / JSON -----------------------------------------------------------------------------

def table_source(path: Path, columns: ColumnMapping | None = None, root: Path | None = None,
                 flat: bool = False) -> Source:
    """A table with an image-path column and a text column, e.g. Hugging Face ImageFolder ``metadata.jsonl``."""
    columns = columns or ColumnMapping()
    text, encoding = read_text_file(path)
    rows, header = _parse_table(path, text, columns)
    headerless = header == [0, 1]
    if headerless:
        image_column, text_column, split_column = 0, 1, None
    else:
        image_column = _pick(columns.image, header, IMAGE_COLUMNS, "image", path)
        text_column = _pick(columns.text, header, TEXT_COLUMNS, "text", path)
        split_column = _pick(columns.split, header, SPLIT_COLUMNS, "split", path, required=False)
    base = path.parent.resolve()

    def candidates() -> Iterator[Candidate]:
        for number, row, error in rows:
            ref = f"{path.name}:{number}"
            if error:
                yield Candidate(ref, None, None, problem=("bad_row", error))
                continue
            image, label = row.get(image_column), row.get(text_column)
            if image is not None and not isinstance(image, str):
                yield Candidate(ref, None, None, problem=("bad_row", f"image column holds {type(image).__name__}, "
                                                                      "expected a file path"))
                continue
            split = canonical_split(row.get(split_column)) if split_column is not None else None
            yield file_candidate(ref, image or "", None if label is None else str(label), base, root or base, split,
                                 flat)

    layout = "no header" if headerless else f"image={image_column!r}, text={text_column!r}"
    return Source(f"table {path.name} ({layout}, {encoding})", candidates(), total=len(rows),
                  notes=[f"{path.name} read as {encoding}"])


def _parse_table(path: Path, text: str, columns: ColumnMapping) -> tuple[list[tuple[int, dict, str | None]], list]:
    """Rows as ``(line number, row dict, parse error)`` plus the header (column names).

    A CSV/TSV whose first line already is a sample (``a.png,text``, no header) gets columns ``[0, 1]``.
    """
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv"}:
        reader = csv.reader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        records = [(reader.line_num, record) for record in reader if any(cell.strip() for cell in record)]
        if not records:
            return [], []
        first = [cell.strip() for cell in records[0][1]]
        if (columns == ColumnMapping() and not _known(first, IMAGE_COLUMNS)
                and Path(first[0]).suffix.lower() in IMAGE_SUFFIXES):
            header: list = [0, 1]
        else:
            header, records = first, records[1:]
        rows = [(number, dict(zip(header, record)), None if len(record) >= 2 else
                 f"expected at least 2 fields, got {len(record)}") for number, record in records]
        return rows, header
    if suffix == ".json":
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path.name} is not valid JSON: {exc}") from exc
        if not isinstance(records, list):
            raise DatasetError(f"{path.name} must hold a JSON list of objects (one per sample).")
        numbered = list(enumerate(records, start=1))
    else:
        numbered = []
        for number, line in enumerate(_lines(text), start=1):
            if not line.strip():
                continue
            try:
                numbered.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                numbered.append((number, exc))
    rows, header = [], {}
    for number, record in numbered:
        if isinstance(record, dict):
            header.update(dict.fromkeys(record))
            rows.append((number, record, None))
        else:
            rows.append((number, {}, f"not a JSON object ({record})" if isinstance(record, Exception) else
                         f"not a JSON object: {str(record)[:60]}"))
    return rows, list(header)


def _known(header: Sequence, names: Sequence[str]) -> bool:
    lowered = {str(name).lower() for name in header}
    return any(name in lowered for name in names)


def _pick(explicit: str | None, header: Sequence, candidates: Sequence[str], role: str, where, required=True):
    if explicit is not None:
        if explicit not in header:
            raise DatasetError(f"{_name(where)} has no column {explicit!r} (it has: {', '.join(map(str, header))}).")
        return explicit
    by_lower = {str(name).lower(): name for name in header}
    for name in candidates:
        if name in by_lower:
            return by_lower[name]
    if not required:
        return None
    raise DatasetError(f"{_name(where)} has no {role} column; looked for {', '.join(candidates)} among "
                       f"{', '.join(map(str, header)) or 'no columns'}. Name it, e.g. columns='mycol={role}' "
                       f"(CLI: --{role}-column mycol).")


def _name(where) -> str:
    return where.name if isinstance(where, Path) else str(where)


# -- folder of images with same-stem .txt, and zips of any input --------------------------------------------------

def folder_source(folder: Path, root: Path | None = None) -> Source:
    """Every image under ``folder`` paired with the ``.txt`` of the same stem next to it."""
    base = folder.resolve()
    files = sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    texts = {p.with_suffix(""): p for p in files if p.suffix.lower() == ".txt"}
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    paired = {p.with_suffix("") for p in images}
    orphans = [p for stem, p in texts.items() if stem not in paired]

    def candidates() -> Iterator[Candidate]:
        for image in images:
            ref = image.relative_to(folder).as_posix()
            transcription = texts.get(image.with_suffix(""))
            if transcription is None:
                yield Candidate(ref, None, None, problem=("missing_text", f"no {image.stem}.txt next to it"))
                continue
            try:
                text, _ = read_text_file(transcription)
            except DatasetError as exc:
                yield Candidate(ref, None, None, problem=("bad_encoding", str(exc)))
                continue
            yield file_candidate(ref, str(image.relative_to(folder)), text, base, root or base)
        for orphan in orphans:
            yield Candidate(orphan.relative_to(folder).as_posix(), None, None,
                            problem=("missing_file", f"no image named {orphan.stem}.* next to this transcription"))

    return Source(f"folder {folder.name} (images with .txt transcriptions)", candidates(),
                  total=len(images) + len(orphans))


def zip_source(path: Path, columns: ColumnMapping | None = None) -> Source:
    """Extract ``path`` to a temp folder (entries escaping it are rejected, never written) and read that folder.

    Image paths inside may point anywhere within the extracted tree, nowhere else.
    """
    stack = contextlib.ExitStack()
    try:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ocr-space-zip-")))
        problems = extract_zip(path, folder)
        top = _single_top_folder(folder)
        if not any(top.iterdir()):
            refused = "; ".join(f"{c.ref}: {c.problem[1]}" for c in problems[:5] if c.problem)
            raise DatasetError(f"{path.name} holds no usable files" + (f" ({refused})." if refused else "."))
        kind, inner_path = _detect_folder_kind(top)
        inner = open_source(inner_path, kind=kind, columns=columns, root=top)
        stack.push(inner.cleanup)
    except BaseException:
        stack.close()
        raise
    total = None if inner.total is None else inner.total + len(problems)
    return Source(f"zip {path.name}: {inner.description}", chain(problems, inner.candidates), total=total,
                  notes=inner.notes, cleanup=stack)


def extract_zip(path: Path, dest: Path, max_entry_bytes: int = MAX_ZIP_ENTRY_BYTES,
                max_total_bytes: int = MAX_ZIP_TOTAL_BYTES) -> list[Candidate]:
    """Extract the regular files of a zip into ``dest``; return rejections for entries that may not be written.

    Refused: absolute names, ``..`` components, drive letters, symbolic links (zip-slip), entries
    above ``max_entry_bytes``, unreadable (encrypted, corrupt) entries. Sizes are the ones the zip
    declares; Python's zip reader never returns more than the declared size.
    """
    problems: list[Candidate] = []
    dest = dest.resolve()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DatasetError(f"{path.name} is not a readable zip file ({exc}).") from exc
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir() and not _ZIP_JUNK.search(info.filename)]
        declared = sum(info.file_size for info in infos)
        if declared > max_total_bytes:
            raise DatasetError(f"{path.name} would expand to {declared:,} bytes, above the limit of "
                               f"{max_total_bytes:,}; split it into smaller zips.")
        for info in infos:
            ref = f"{path.name}:{info.filename}"
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            target = dest.joinpath(*parts) if parts else dest
            if (name.startswith("/") or ".." in parts or (parts and re.match(r"^[A-Za-z]:", parts[0]))
                    or not target.resolve().is_relative_to(dest)):
                problems.append(Candidate(ref, None, None, problem=("outside_root",
                                                                    "zip entry would be written outside the "
                                                                    "extraction folder (zip-slip)")))
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                problems.append(Candidate(ref, None, None, problem=("outside_root",
                                                                    "zip entry is a symbolic link")))
                continue
            if info.file_size > max_entry_bytes:
                problems.append(Candidate(ref, None, None, problem=("too_large", f"zip entry expands to "
                                          f"{info.file_size:,} bytes, above {max_entry_bytes:,}")))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
            except (RuntimeError, NotImplementedError, zipfile.BadZipFile, OSError, EOFError) as exc:
                target.unlink(missing_ok=True)
                problems.append(Candidate(ref, None, None, problem=("unreadable", f"zip entry cannot be read: {exc}")))
    return problems


def _single_top_folder(folder: Path) -> Path:
    """Zips made by "compress folder" hold one top folder; read inside it."""
    entries = list(folder.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else folder


# -- existing datasets: parquet / arrow folders and files, save_to_disk folders, Hub ids ---------------------------

@dataclass
class _Part:
    split: str
    rows: Any  # datasets.Dataset or IterableDataset
    start: int
    total: int | None


def parse_source_split(spec: str | None) -> list[tuple[str, int, int | None]]:
    """``"train[:1000]+test[10:20]"`` -> ``[("train", 0, 1000), ("test", 10, 20)]``; empty for ``None``.

    >>> parse_source_split("train[:1000]")
    [('train', 0, 1000)]
    """
    if not spec or not spec.strip():
        return []
    parsed = []
    for item in re.split(r"[+,]", spec):
        if "%" in item:
            raise ConfigError(f"Percent slices are not supported ({item.strip()!r}); give row numbers, "
                              "e.g. train[:1000].")
        match = _SLICE.match(item)
        if not match:
            raise ConfigError(f"A source split looks like train, train[:1000] or train[100:200]; got {item!r}.")
        name, start, stop = match.group(1), match.group(2), match.group(3)
        start_n, stop_n = int(start or 0), (int(stop) if stop else None)
        if start_n < 0 or (stop_n is not None and stop_n < start_n):
            raise ConfigError(f"Row slice {item.strip()!r} must count forward from 0.")
        parsed.append((name, start_n, stop_n))
    return parsed


def dataset_source(name: str | Path, columns: ColumnMapping | None = None, source_split: str | None = None,
                   root: Path | None = None) -> Source:
    """Rows of an existing dataset (local or on the Hub), read lazily; images as embedded bytes or paths."""
    import datasets

    columns = columns or ColumnMapping()
    wanted = parse_source_split(source_split)
    local = Path(name) if isinstance(name, Path) or Path(name).exists() else None
    splits = _open_local(local) if local else _open_hub(str(name), wanted)
    parts = _select(splits, wanted, str(name))
    header = _column_names(parts[0].rows)
    image_column = _pick(columns.image, header, IMAGE_COLUMNS, "image", name)
    text_column = _pick(columns.text, header, TEXT_COLUMNS, "text", name)
    split_column = _pick(columns.split, header, SPLIT_COLUMNS, "split", name, required=False)
    for part in parts:
        features = part.rows.features or {}
        if isinstance(features.get(image_column), datasets.Image):
            part.rows = part.rows.cast_column(image_column, datasets.Image(decode=False))
    base = (local if local.is_dir() else local.parent).resolve() if local else None

    def candidates() -> Iterator[Candidate]:
        for part in parts:
            for offset, row in enumerate(part.rows):
                ref = f"{part.split}[{part.start + offset}]"
                split = canonical_split(row.get(split_column)) if split_column else canonical_split(part.split)
                label = row.get(text_column)
                yield _row_candidate(ref, row.get(image_column), None if label is None else str(label), split,
                                     base, root or base)

    totals = [part.total for part in parts]
    total = None if None in totals else sum(totals)
    where = "local dataset " + local.name if local else "Hub dataset " + str(name)
    return Source(f"{where} ({', '.join(p.split for p in parts)}; image={image_column!r}, text={text_column!r})",
                  candidates(), total=total)


def _open_local(path: Path) -> dict:
    import datasets
    from datasets.exceptions import DatasetNotFoundError

    try:
        if path.is_dir() and ((path / "dataset_dict.json").is_file() or (path / "state.json").is_file()):
            loaded = datasets.load_from_disk(str(path))
            return dict(loaded) if isinstance(loaded, datasets.DatasetDict) else {"train": loaded}
        if path.is_file():
            builder = "arrow" if path.suffix.lower() == ".arrow" else "parquet"
            return dict(datasets.load_dataset(builder, data_files={"train": str(path)}, streaming=True))
        return dict(datasets.load_dataset(str(path), streaming=True))
    except (ValueError, OSError, DatasetNotFoundError) as exc:
        raise DatasetError(f"Could not read {path.name} as a parquet/arrow dataset: {exc}") from exc


def _open_hub(name: str, wanted: list) -> dict:
    import datasets

    names = list(dict.fromkeys(split for split, _, _ in wanted))
    token = hub_read_token()
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
    try:
        if names:
            return {split: datasets.load_dataset(name, split=split, streaming=True, token=token) for split in names}
        return dict(datasets.load_dataset(name, streaming=True, token=token))
    except Exception as exc:  # noqa: BLE001 - any failure to open user input becomes one clear message
        hint = " The Hub is switched off here (HF_HUB_OFFLINE=1)." if offline else ""
        raise DatasetError(f"{name!r} is not a local file or folder, and opening it as a Hub dataset failed: "
                           f"{type(exc).__name__}: {exc}.{hint}") from exc


def _select(splits: dict, wanted: list[tuple[str, int, int | None]], name: str) -> list[_Part]:
    if not splits:
        raise DatasetError(f"{name} holds no rows.")
    if not wanted:
        return [_Part(split, rows, 0, _known_length(rows, split)) for split, rows in splits.items()]
    parts = []
    for split, start, stop in wanted:
        if split not in splits:
            raise DatasetError(f"{name} has no split {split!r} (it has: {', '.join(splits)}).")
        rows, length = splits[split], _known_length(splits[split], split)
        if hasattr(rows, "select"):  # a map-style Dataset: exact slice
            end = length if stop is None else min(stop, length)
            rows = rows.select(range(min(start, end), end))
        else:  # streamed: skip/take without downloading the rest
            rows = rows.skip(start) if start else rows
            rows = rows.take(stop - start) if stop is not None else rows
        remaining = None if length is None else max(0, length - start)
        wanted_rows = None if stop is None else stop - start
        total = remaining if wanted_rows is None else wanted_rows if remaining is None else min(remaining, wanted_rows)
        parts.append(_Part(split, rows, start, total))
    return parts


def _known_length(rows, split: str) -> int | None:
    if hasattr(rows, "__len__"):
        return len(rows)
    info = getattr(rows, "info", None)
    recorded = (info.splits or {}).get(split) if info is not None and info.splits else None
    return recorded.num_examples if recorded is not None and recorded.num_examples else None


def _column_names(rows) -> list[str]:
    if rows.column_names:
        return list(rows.column_names)
    first = next(iter(rows), None)  # a streamed dataset without declared features: look at one row
    return list(first) if first else []


def _row_candidate(ref: str, image: Any, text: str | None, split: str | None, base: Path | None,
                   root: Path | None) -> Candidate:
    if isinstance(image, dict):
        if image.get("bytes"):
            return Candidate(ref, bytes(image["bytes"]), text, split)
        image = image.get("path")
    if isinstance(image, (bytes, bytearray, Image.Image)):
        return Candidate(ref, image if isinstance(image, Image.Image) else bytes(image), text, split)
    if isinstance(image, str) and image:
        if base is None:
            return Candidate(ref, None, text, split, ("missing_file", f"the dataset stores a path ({image}), "
                                                                       "not the image; it cannot be read from here"))
        return file_candidate(ref, image, text, base, root or base, split)
    return Candidate(ref, None, text, split, ("missing_file", "the image cell is empty"))


# -- rows from the UI ---------------------------------------------------------------------------------------------

def rows_source(rows: Iterable[tuple[Any, str | None]], refs: Sequence[str] | None = None,
                description: str = "rows entered in the app") -> Source:
    """Pairs of (image path / bytes / PIL image / ``None``, text), e.g. uploads plus an edited table.

    ``refs`` names the rows in the report (default: the file name, else "row N").

    >>> rows_source([("examples/lines/line_000.png", "今天天气很好")]).total
    1
    """
    rows = list(rows)
    refs = list(refs) if refs is not None else [None] * len(rows)
    if len(refs) != len(rows):
        raise ConfigError(f"{len(refs)} row names for {len(rows)} rows.")

    def candidates() -> Iterator[Candidate]:
        for number, ((image, text), ref) in enumerate(zip(rows, refs), start=1):
            if isinstance(image, (str, Path)) and str(image):
                yield Candidate(ref or Path(image).name, Path(image), text)
            elif image is None or (isinstance(image, str) and not image):
                yield Candidate(ref or f"row {number}", None, text, problem=("missing_file", "no image for this row"))
            else:
                yield Candidate(ref or f"row {number}", image, text)

    return Source(description, candidates(), total=len(rows))
