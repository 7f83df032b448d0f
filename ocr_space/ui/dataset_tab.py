"""The Build Dataset tab: every input kind in, a checked and split parquet dataset out.

Handlers are plain functions of the components' values (tests call them
directly); each ends in :func:`_show`, which turns a :class:`BuiltDataset`
into the result panel: summary, sample gallery, rejection table, stats and
downloadable files.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path

import gradio as gr
import pandas as pd
from PIL import Image

from ocr_space.config import datasets_root, on_space
from ocr_space.data.build import BuiltDataset, build_dataset
from ocr_space.data.fonts import find_cjk_fonts
from ocr_space.data.sources import ColumnMapping, open_source, rows_source
from ocr_space.data.splits import DATASET_NAME
from ocr_space.data.synth import Degradations, synth_dataset, synth_lines
from ocr_space.errors import ConfigError
from ocr_space.models.registry import default_model
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.strings import t

PREVIEW_SAMPLES = 12
REJECTIONS_SHOWN = 500
LABEL_COLUMNS = ["image", "text"]
REJECTION_COLUMNS = ["ref", "reason", "detail", "text"]


# -- handlers -----------------------------------------------------------------------------------------------------

@shows_errors
def build_from_files(files, name, prefix, split, seed, max_mp, min_side, image_column, text_column, split_column,
                     progress=gr.Progress()):
    """One uploaded file is read as what it is (manifest, table, zip, parquet); several as one flat folder."""
    paths = [Path(f) for f in (files or [])]
    if not paths:
        raise gr.Error(t("dataset.no_files"), print_exception=False)
    columns = ColumnMapping(image_column or None, text_column or None, split_column or None)
    out, settings = _output_folder(name), _settings(prefix, split, seed, max_mp, min_side, progress)
    with tempfile.TemporaryDirectory(prefix="ocr-space-upload-") as staging:
        if len(paths) == 1:
            source = open_source(paths[0], columns=columns)
        else:  # the browser sent loose files: one folder, and manifest paths matched by file name
            source = open_source(_gather(paths, Path(staging)), columns=columns, flat=True)
        with source:
            built = build_dataset(source, out, **settings)
    return _show(built)


@shows_errors
def build_from_existing(source, source_split, name, prefix, split, seed, max_mp, min_side, image_column,
                        text_column, split_column, progress=gr.Progress()):
    """A Hub dataset id or a local parquet/arrow folder, with an optional row limit such as ``train[:1000]``."""
    source = (source or "").strip()
    if not source:
        raise gr.Error(t("dataset.existing.source"), print_exception=False)
    local = Path(source)
    if on_space() and local.exists() and not local.resolve().is_relative_to(datasets_root().resolve()):
        raise ConfigError(t("dataset.space_local", root=datasets_root()))
    columns = ColumnMapping(image_column or None, text_column or None, split_column or None)
    built = build_dataset(source, _output_folder(name), kind="dataset", columns=columns,
                          source_split=(source_split or "").strip() or None,
                          **_settings(prefix, split, seed, max_mp, min_side, progress))
    return _show(built)


@shows_errors
def images_to_table(files):
    """Uploaded images -> an editable table (one row per image, text empty), the name->path map, a gallery."""
    paths = [Path(f) for f in (files or [])]
    names = _unique_names(paths)
    table = pd.DataFrame({"image": names, "text": [""] * len(names)}, columns=LABEL_COLUMNS)
    gallery = [(str(path), name) for path, name in zip(paths, names)]
    return table, dict(zip(names, map(str, paths))), gallery


@shows_errors
def prelabel_table(table, images: dict, model, adapter, max_new_tokens=256, progress=gr.Progress()):
    """Fill the empty text cells with the model's drafts; text the user already typed is never overwritten."""
    from ocr_space.data.prelabel import prelabel
    from ocr_space.models.cache import MODELS

    table = _label_table(table)
    todo = [i for i, row in table.iterrows() if not str(row["text"]).strip() and row["image"] in (images or {})]
    if not todo:
        return table
    progress(0.05, desc="Loading model")
    loaded = MODELS.get(model, adapter or None)
    drafts = prelabel(loaded, [images[table.at[i, "image"]] for i in todo], max_new_tokens=int(max_new_tokens),
                      progress=lambda done, total, desc: progress((done, total), desc=desc))
    for i, draft in zip(todo, drafts):
        table.at[i, "text"] = draft.text
    return table


@shows_errors
def build_from_table(table, images: dict, name, prefix, split, seed, max_mp, min_side, progress=gr.Progress()):
    """The labelling table (image name, text) -> dataset; names that match no upload are reported, not guessed."""
    table = _label_table(table)
    if table.empty:
        raise gr.Error(t("dataset.no_rows"), print_exception=False)
    images = images or {}
    rows = [(images.get(str(row["image"])), str(row["text"])) for _, row in table.iterrows()]
    source = rows_source(rows, refs=[str(name) for name in table["image"]])
    built = build_dataset(source, _output_folder(name), **_settings(prefix, split, seed, max_mp, min_side, progress))
    return _show(built)


@shows_errors
def synth_preview(text, text_file, fonts, font_min, font_max, blur, noise, jpeg, rotation, contrast, background,
                  seed):
    """Eight rendered lines with their text, without building anything."""
    lines = _synth_lines(text, text_file)
    rendered = synth_lines(lines, 8, _font_paths(fonts),
                           _degradations(blur, noise, jpeg, rotation, contrast, background), int(seed),
                           (int(font_min), int(font_max)))
    return [(Image.open(io.BytesIO(line.image_bytes)), line.text) if not isinstance(line, tuple) else
            (Image.new("RGB", (64, 32), "white"), f"cannot draw {line[1]!r}: {line[0]}") for line in rendered]


@shows_errors
def build_from_synth(text, text_file, fonts, n, font_min, font_max, blur, noise, jpeg, rotation, contrast, background,
                     name, prefix, split, seed, max_mp, min_side, progress=gr.Progress()):
    """Render the lines (``n`` samples, 0 = one per line) and build a dataset from them."""
    lines = _synth_lines(text, text_file)
    settings = _settings(prefix, split, seed, max_mp, min_side, progress)
    settings.pop("max_pixels"), settings.pop("min_side")  # rendered lines are always within limits
    built = synth_dataset(lines, _output_folder(name), n=int(n) or None, fonts=_font_paths(fonts),
                          degradations=_degradations(blur, noise, jpeg, rotation, contrast, background),
                          font_size=(int(font_min), int(font_max)), **settings)
    return _show(built)


# -- helpers ------------------------------------------------------------------------------------------------------

def _settings(prefix, split, seed, max_mp, min_side, progress) -> dict:
    def report(done, total, description):
        progress((done, total), desc=description)

    return {"prefix": (prefix or "data").strip(), "split": split, "seed": int(seed),
            "max_pixels": int(float(max_mp) * 1_000_000), "min_side": int(min_side), "progress": report}


def _output_folder(name: str) -> Path:
    name = (name or "").strip()
    if not DATASET_NAME.match(name):
        raise ConfigError(t("dataset.bad_name", name=name))
    return datasets_root() / name


def _gather(paths: list[Path], folder: Path) -> Path:
    """Copy several uploads (each in its own temp folder) side by side, so a manifest finds its images."""
    for path, name in zip(paths, _unique_names(paths)):
        shutil.copyfile(path, folder / name)
    return folder


def _unique_names(paths: list[Path]) -> list[str]:
    names, seen = [], set()
    for path in paths:
        name, number = path.name, 1
        while name in seen:
            number += 1
            name = f"{path.stem}_{number}{path.suffix}"
        seen.add(name)
        names.append(name)
    return names


def _label_table(table) -> pd.DataFrame:
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table or [], columns=LABEL_COLUMNS)
    frame = frame.reindex(columns=LABEL_COLUMNS).fillna("")
    return frame[frame["image"].astype(str).str.strip() != ""].reset_index(drop=True)


def _synth_lines(text, text_file) -> list[str]:
    from ocr_space.data.synth import read_lines

    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if text_file:
        lines += read_lines(text_file)
    if not lines:
        raise gr.Error(t("dataset.no_text"), print_exception=False)
    return lines


def _font_paths(names) -> list[Path] | None:
    by_name = {path.name: path for path in find_cjk_fonts()}
    chosen = [by_name[name] for name in (names or []) if name in by_name]
    return chosen or None


def _degradations(blur, noise, jpeg, rotation, contrast, background) -> Degradations:
    return Degradations(blur=float(blur), noise=float(noise), jpeg=int(jpeg), rotation=float(rotation),
                        contrast=float(contrast), background=bool(background))


def _show(built: BuiltDataset):
    """(summary markdown, gallery, rejection table, stats markdown, files) for the result panel."""
    summary = t("dataset.built", folder=built.folder, **built.summary()) if built.files else t("dataset.nothing")
    if len(built.rejected) > REJECTIONS_SHOWN:
        summary += "\n\n" + t("dataset.rejected_more", shown=REJECTIONS_SHOWN, total=len(built.rejected))
    rejected = pd.DataFrame([r.as_dict() for r in built.rejected[:REJECTIONS_SHOWN]], columns=REJECTION_COLUMNS)
    return summary, _preview(built), rejected, built.stats.markdown(), _downloadable(built.output_files())


def _preview(built: BuiltDataset) -> list[tuple[Image.Image, str]]:
    """The first samples of the first split, read one batch from the parquet file (not the whole file)."""
    import pyarrow.parquet as pq

    if not built.files:
        return []
    path = next(iter(built.files.values()))
    batch = next(pq.ParquetFile(path).iter_batches(batch_size=PREVIEW_SAMPLES, columns=["image", "text"]), None)
    if batch is None:
        return []
    return [(Image.open(io.BytesIO(row["image"]["bytes"])), row["text"]) for row in batch.to_pylist()]


def _downloadable(paths: list[Path]) -> list[str]:
    """Gradio serves files under the working directory or the temp dir; copy others (e.g. /data on a Space)."""
    allowed = [Path.cwd().resolve(), Path(tempfile.gettempdir()).resolve()]
    served, copies = [], None
    for path in (p for p in paths if p.is_file()):
        if any(path.resolve().is_relative_to(root) for root in allowed):
            served.append(str(path))
            continue
        copies = copies or Path(tempfile.mkdtemp(prefix="ocr-space-download-"))
        served.append(shutil.copy(path, copies / path.name))
    return served


# -- layout -------------------------------------------------------------------------------------------------------

def build() -> None:
    """Add the tab's components and events to the current Blocks."""
    with gr.Tab(t("dataset.tab"), id="dataset"):
        gr.Markdown(t("dataset.intro"))
        with gr.Accordion(t("dataset.settings"), open=True):
            with gr.Row():
                name = gr.Textbox(label=t("dataset.name", root=datasets_root()), value="my-dataset")
                prefix = gr.Textbox(label=t("dataset.prefix"), value="data")
                split = gr.Textbox(label=t("dataset.split"), value="0.8,0.1,0.1")
                seed = gr.Number(label=t("dataset.seed"), value=42, precision=0)
                max_mp = gr.Number(label=t("dataset.max_mp"), value=50)
                min_side = gr.Number(label=t("dataset.min_side"), value=10, precision=0)
        settings = [name, prefix, split, seed, max_mp, min_side]

        with gr.Tabs():
            with gr.Tab(t("dataset.files.tab")):
                gr.Markdown(t("dataset.files.help"))
                files = gr.File(label=t("dataset.files.input"), file_count="multiple")
                columns = _column_inputs()
                files_button = gr.Button(t("dataset.files.build"), variant="primary")
            with gr.Tab(t("dataset.existing.tab")):
                with gr.Row():
                    existing = gr.Textbox(label=t("dataset.existing.source"), placeholder="user/dataset")
                    existing_split = gr.Textbox(label=t("dataset.existing.split"), placeholder="train[:1000]")
                existing_columns = _column_inputs()
                existing_button = gr.Button(t("dataset.existing.build"), variant="primary")
            with gr.Tab(t("dataset.label.tab")):
                gr.Markdown(t("dataset.label.help"))
                label_images = gr.File(label=t("dataset.label.images"), file_count="multiple", file_types=["image"])
                label_gallery = gr.Gallery(columns=4, height=220, allow_preview=True)
                label_table = gr.Dataframe(headers=LABEL_COLUMNS, column_count=2, datatype=["str", "str"],
                                           interactive=True, static_columns=[0], label=t("dataset.label.table"),
                                           wrap=True)
                label_paths = gr.State({})
                with gr.Row():
                    model = gr.Textbox(label=t("dataset.label.model"), value=default_model())
                    adapter = gr.Textbox(label=t("dataset.label.adapter"))
                    max_tokens = gr.Slider(8, 1024, value=256, step=8, label=t("recognize.max_tokens"))
                with gr.Row():
                    prelabel_button = gr.Button(t("dataset.label.prelabel"))
                    table_button = gr.Button(t("dataset.label.build"), variant="primary")
            with gr.Tab(t("dataset.synth.tab")):
                gr.Markdown(t("dataset.synth.help"))
                with gr.Row():
                    synth_text = gr.Textbox(label=t("dataset.synth.text"), lines=6)
                    synth_file = gr.File(label=t("dataset.synth.file"), file_types=[".txt"])
                font_names = [path.name for path in find_cjk_fonts()]
                synth_fonts = gr.CheckboxGroup(label=t("dataset.synth.fonts"), choices=font_names, value=font_names)
                with gr.Row():
                    synth_n = gr.Number(label=t("dataset.synth.n"), value=0, precision=0)
                    font_min = gr.Slider(8, 96, value=28, step=1, label=t("dataset.synth.font_min"))
                    font_max = gr.Slider(8, 96, value=40, step=1, label=t("dataset.synth.font_max"))
                defaults = Degradations()
                with gr.Row():
                    blur = gr.Slider(0, 4, value=defaults.blur, step=0.1, label=t("dataset.synth.blur"))
                    noise = gr.Slider(0, 40, value=defaults.noise, step=1, label=t("dataset.synth.noise"))
                    jpeg = gr.Slider(0, 95, value=defaults.jpeg, step=1, label=t("dataset.synth.jpeg"))
                with gr.Row():
                    rotation = gr.Slider(0, 10, value=defaults.rotation, step=0.5, label=t("dataset.synth.rotation"))
                    contrast = gr.Slider(0.1, 1, value=defaults.contrast, step=0.05,
                                         label=t("dataset.synth.contrast"))
                    background = gr.Checkbox(value=defaults.background, label=t("dataset.synth.background"))
                with gr.Row():
                    preview_button = gr.Button(t("dataset.synth.preview"))
                    synth_button = gr.Button(t("dataset.synth.build"), variant="primary")

        summary = gr.Markdown(label=t("dataset.summary"))
        gallery = gr.Gallery(label=t("dataset.preview"), columns=3, height=300)
        rejected = gr.Dataframe(headers=REJECTION_COLUMNS, label=t("dataset.rejected"), interactive=False, wrap=True)
        with gr.Row():
            stats = gr.Markdown(label=t("dataset.stats"))
            downloads = gr.File(label=t("dataset.downloads"), file_count="multiple", interactive=False)
        results = [summary, gallery, rejected, stats, downloads]

        files_button.click(build_from_files, inputs=[files, *settings, *columns], outputs=results,
                           api_name="build_dataset_files")
        existing_button.click(build_from_existing, inputs=[existing, existing_split, *settings, *existing_columns],
                              outputs=results, api_name="build_dataset_existing")
        label_images.change(images_to_table, inputs=[label_images], outputs=[label_table, label_paths, label_gallery],
                            api_name="dataset_label_images")
        prelabel_button.click(prelabel_table, inputs=[label_table, label_paths, model, adapter, max_tokens],
                              outputs=[label_table],
                              api_name="dataset_prelabel")
        table_button.click(build_from_table, inputs=[label_table, label_paths, *settings], outputs=results,
                           api_name="build_dataset_table")
        synth_inputs = [synth_text, synth_file, synth_fonts]
        look = [font_min, font_max, blur, noise, jpeg, rotation, contrast, background]
        preview_button.click(synth_preview, inputs=[*synth_inputs, *look, seed], outputs=[gallery],
                             api_name="dataset_synth_preview")
        synth_button.click(build_from_synth, inputs=[*synth_inputs, synth_n, *look, *settings], outputs=results,
                           api_name="build_dataset_synth")


def _column_inputs() -> list:
    with gr.Accordion(t("dataset.columns"), open=False):
        with gr.Row():
            return [gr.Textbox(label=t("dataset.image_column")), gr.Textbox(label=t("dataset.text_column")),
                    gr.Textbox(label=t("dataset.split_column"))]
