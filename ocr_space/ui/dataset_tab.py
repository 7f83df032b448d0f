"""The Build Dataset tab: every input kind in, a checked and split parquet dataset out.

Handlers are plain functions of the form's values, passed as keywords named
after the settings (tests call them the same way); each ends in :func:`_show`, which turns a :class:`BuiltDataset`
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

from ocr_space.config import LIMITS, datasets_root, public_mode
from ocr_space.data.build import BuiltDataset, build_dataset
from ocr_space.data.fonts import find_cjk_fonts
from ocr_space.data.sources import ColumnMapping, open_source, rows_source
from ocr_space.data.splits import DATASET_NAME
from ocr_space.data.synth import Degradations, synth_dataset, synth_lines
from ocr_space.errors import ConfigError
from ocr_space.ui.access import AccessDenied, Visitor, using_gpu, visitor
from ocr_space.ui.downloads import downloadable
from ocr_space.ui.errors import shows_errors
from ocr_space.ui.form import Form, field_values
from ocr_space.ui.model_field import default_model
from ocr_space.ui.strings import t
from ocr_space.workspace import unique_path

PREVIEW_SAMPLES = 12
REJECTIONS_SHOWN = 500
LABEL_COLUMNS = ["image", "text"]
REJECTION_COLUMNS = ["ref", "reason", "detail", "text"]


# -- handlers -----------------------------------------------------------------------------------------------------
# Each reads the form's values by setting name (see build(): the output settings, the column mapping and each
# input kind's own fields); Gradio passes them as keywords, and so do the tests.

@shows_errors
def build_from_files(progress=gr.Progress(), request: gr.Request = None, profile: gr.OAuthProfile | None = None,
                     **values):
    """One uploaded file is read as what it is (manifest, table, zip, parquet); several as one flat folder."""
    paths = [Path(f) for f in (values["files"] or [])]
    if not paths:
        raise gr.Error(t("dataset.no_files"), print_exception=False)
    columns = _columns(values)
    person = visitor(request, profile)
    out, settings = _output_folder(person, values["name"]), _settings(values, progress)
    with tempfile.TemporaryDirectory(prefix="ocr-space-upload-") as staging:
        if len(paths) == 1:
            source = open_source(paths[0], columns=columns)
        else:  # the browser sent loose files: one folder, and manifest paths matched by file name
            source = open_source(_gather(paths, Path(staging)), columns=columns, flat=True)
        with source:
            built = build_dataset(source, out, **settings)
    return _show(built, out, values["name"])


@shows_errors
def build_from_existing(progress=gr.Progress(), request: gr.Request = None, profile: gr.OAuthProfile | None = None,
                        oauth_token: gr.OAuthToken | None = None, **values):
    """A Hub dataset id or a local parquet/arrow folder, with an optional row limit such as ``train[:1000]``."""
    source = (values["source"] or "").strip()
    if not source:
        raise gr.Error(t("dataset.existing.source"), print_exception=False)
    person = visitor(request, profile, oauth_token)
    source = person.workspace.reference(source, owner_optional=True)
    out = _output_folder(person, values["name"])
    with person.reading_hub():
        built = build_dataset(source, out, kind="dataset", columns=_columns(values),
                              source_split=(values["source_split"] or "").strip() or None,
                              **_settings(values, progress))
    return _show(built, out, values["name"])


@shows_errors
def images_to_table(files):
    """Uploaded images -> an editable table (one row per image, text empty), the name->path map, a gallery."""
    paths = [Path(f) for f in (files or [])]
    names = _unique_names(paths)
    table = pd.DataFrame({"image": names, "text": [""] * len(names)}, columns=LABEL_COLUMNS)
    gallery = [(str(path), name) for path, name in zip(paths, names)]
    return table, dict(zip(names, map(str, paths))), gallery


@shows_errors
def prelabel_table(progress=gr.Progress(), request: gr.Request = None, profile: gr.OAuthProfile | None = None,
                   oauth_token: gr.OAuthToken | None = None, **values):
    """Fill the empty text cells with the model's drafts; text the user already typed is never overwritten."""
    from ocr_space.data.prelabel import prelabel
    from ocr_space.models.cache import MODELS

    table, images = _label_table(values["table"]), values["images"] or {}
    todo = [i for i, row in table.iterrows() if not str(row["text"]).strip() and row["image"] in images]
    if not todo:
        return table
    person = visitor(request, profile, oauth_token)
    if person.public and len(todo) > LIMITS.max_prelabel:
        raise AccessDenied(t("access.too_many", what=t("access.limit.prelabel"), limit=LIMITS.max_prelabel,
                             count=len(todo)))
    model, adapter = person.workspace.reference(values["model"]), person.workspace.reference(values["adapter"] or "")
    progress(0.05, desc=t("recognize.loading"))
    with person.reading_hub(), using_gpu("pre-labelling", progress), MODELS.use(model, adapter or None) as loaded:
        drafts = prelabel(loaded, [images[table.at[i, "image"]] for i in todo],
                          max_new_tokens=int(values["max_new_tokens"]),
                          progress=lambda done, total, desc: progress((done, total), desc=desc))
    for i, draft in zip(todo, drafts):
        table.at[i, "text"] = draft.text
    return table


@shows_errors
def build_from_table(progress=gr.Progress(), request: gr.Request = None, profile: gr.OAuthProfile | None = None,
                     **values):
    """The labelling table (image name, text) -> dataset; names that match no upload are reported, not guessed."""
    table = _label_table(values["table"])
    if table.empty:
        raise gr.Error(t("dataset.no_rows"), print_exception=False)
    images = values["images"] or {}
    rows = [(images.get(str(row["image"])), str(row["text"])) for _, row in table.iterrows()]
    source = rows_source(rows, refs=[str(name) for name in table["image"]])
    out = _output_folder(visitor(request, profile), values["name"])
    built = build_dataset(source, out, **_settings(values, progress))
    return _show(built, out, values["name"])


@shows_errors
def synth_preview(**values):
    """Eight rendered lines with their text, without building anything."""
    rendered = synth_lines(_synth_lines(values), 8, _font_paths(values["fonts"]), _degradations(values),
                           int(values["seed"]), _font_size(values))
    return [(Image.open(io.BytesIO(line.image_bytes)), line.text) if not isinstance(line, tuple) else
            (Image.new("RGB", (64, 32), "white"), t("dataset.synth.cannot_draw", missing=line[1], text=line[0]))
            for line in rendered]


@shows_errors
def build_from_synth(progress=gr.Progress(), request: gr.Request = None, profile: gr.OAuthProfile | None = None,
                     **values):
    """Render the lines (``n`` samples, 0 = one per line) and build a dataset from them."""
    lines = _synth_lines(values)
    person = visitor(request, profile)
    count = int(values["n"]) or len(lines)
    if person.public and count > LIMITS.max_synth:
        raise AccessDenied(t("access.too_many", what=t("access.limit.synth"), limit=LIMITS.max_synth, count=count))
    settings = _settings(values, progress)
    settings.pop("max_pixels"), settings.pop("min_side")  # rendered lines are always within limits
    out = _output_folder(person, values["name"])
    built = synth_dataset(lines, out, n=int(values["n"]) or None,
                          fonts=_font_paths(values["fonts"]), degradations=_degradations(values),
                          font_size=_font_size(values), **settings)
    return _show(built, out, values["name"])


# -- helpers ------------------------------------------------------------------------------------------------------

def _settings(values: dict, progress) -> dict:
    """The output settings as build_dataset() keywords."""
    def report(done, total, description):
        progress((done, total), desc=description)

    return {"prefix": (values["prefix"] or "data").strip(), "split": values["split"], "seed": int(values["seed"]),
            "max_pixels": int(float(values["max_mp"]) * 1_000_000), "min_side": int(values["min_side"]),
            "progress": report}


def _columns(values: dict) -> ColumnMapping:
    return ColumnMapping(values["image_column"] or None, values["text_column"] or None,
                         values["split_column"] or None)


def _output_folder(person: Visitor, name: str) -> Path:
    """The visitor's new dataset folder ``name``; a taken name gets ``name-2``, ... (never a silent replace)."""
    name = (name or "").strip()
    if not DATASET_NAME.match(name):
        raise ConfigError(t("dataset.bad_name", name=name))
    return unique_path(person.workspace.datasets / name)


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


def _synth_lines(values: dict) -> list[str]:
    from ocr_space.data.synth import read_lines

    lines = [line.strip() for line in (values["text"] or "").splitlines() if line.strip()]
    if values["text_file"]:
        lines += read_lines(values["text_file"])
    if not lines:
        raise gr.Error(t("dataset.no_text"), print_exception=False)
    return lines


def _font_paths(names) -> list[Path] | None:
    by_name = {path.name: path for path in find_cjk_fonts()}
    chosen = [by_name[name] for name in (names or []) if name in by_name]
    return chosen or None


def _font_size(values: dict) -> tuple[int, int]:
    return int(values["font_min"]), int(values["font_max"])


def _degradations(values: dict) -> Degradations:
    """The form's Degradations fields (blur, noise, jpeg, rotation, contrast, background), by name."""
    return Degradations(**field_values(Degradations, values))


def _show(built: BuiltDataset, out: Path | None = None, requested: str | None = None):
    """(summary markdown, gallery, rejection table, stats markdown, files) for the result panel."""
    summary = t("dataset.built", folder=built.folder, **built.summary()) if built.files else t("dataset.nothing")
    if built.notes:  # e.g. "lines.txt read as big5": which encoding a manifest was read as
        summary += "\n\n" + "\n".join(f"- {note}" for note in built.notes)
    if out is not None and requested and out.name != requested.strip():
        summary += "\n\n" + t("dataset.renamed", name=requested.strip(), new=out.name)
    if len(built.rejected) > REJECTIONS_SHOWN:
        summary += "\n\n" + t("dataset.rejected_more", shown=REJECTIONS_SHOWN, total=len(built.rejected))
    rejected = pd.DataFrame([r.as_dict() for r in built.rejected[:REJECTIONS_SHOWN]], columns=REJECTION_COLUMNS)
    return summary, _preview(built), rejected, built.stats.markdown(), downloadable(built.output_files())


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


# -- layout -------------------------------------------------------------------------------------------------------

def build() -> None:
    """Add the tab's components and events to the current Blocks.

    Each input kind has its own form (labels ``t("dataset.KIND.NAME")``); the output settings and the column
    mapping are shared forms joined to them, so every handler gets one ``{setting name: value}``.
    """
    with gr.Tab(t("dataset.tab"), id="dataset"):
        gr.Markdown(t("dataset.intro"))
        settings = Form("dataset")
        with gr.Accordion(t("dataset.settings"), open=True):
            with gr.Row():
                root = t("dataset.your_root") if public_mode() else datasets_root()
                settings.field("name", gr.Textbox, label=t("dataset.name", root=root), value="my-dataset")
                settings.field("prefix", gr.Textbox, value="data")
                settings.field("split", gr.Textbox, value="0.8,0.1,0.1")
                settings.field("seed", gr.Number, value=42, precision=0)
                settings.field("max_mp", gr.Number, value=50)
                settings.field("min_side", gr.Number, value=10, precision=0)

        with gr.Tabs():
            with gr.Tab(t("dataset.files.tab")):
                gr.Markdown(t("dataset.files.help"))
                files = Form("dataset.files")
                files.field("files", gr.File, file_count="multiple")
                files_columns = _column_inputs()
                files_button = gr.Button(t("dataset.files.build"), variant="primary")
            with gr.Tab(t("dataset.existing.tab")):
                existing = Form("dataset.existing")
                with gr.Row():
                    existing.field("source", gr.Textbox, placeholder="user/dataset")
                    existing.field("source_split", gr.Textbox, placeholder="train[:1000]")
                existing_columns = _column_inputs()
                existing_button = gr.Button(t("dataset.existing.build"), variant="primary")
            with gr.Tab(t("dataset.label.tab")):
                gr.Markdown(t("dataset.label.help"))
                label = Form("dataset.label")
                label_images = gr.File(label=t("dataset.label.images"), file_count="multiple", file_types=["image"])
                label_gallery = gr.Gallery(columns=4, height=220, allow_preview=True)
                label.field("table", gr.Dataframe, headers=LABEL_COLUMNS, column_count=2, datatype=["str", "str"],
                            interactive=True, static_columns=[0], wrap=True)
                label.add("images", gr.State({}))  # image name -> uploaded path
                with gr.Row():
                    label.field("model", gr.Textbox, value=default_model())
                    label.field("adapter", gr.Textbox)
                    label.field("max_new_tokens", gr.Slider, minimum=8, maximum=1024, value=256, step=8)
                with gr.Row():
                    prelabel_button = gr.Button(t("dataset.label.prelabel"))
                    table_button = gr.Button(t("dataset.label.build"), variant="primary")
            with gr.Tab(t("dataset.synth.tab")):
                gr.Markdown(t("dataset.synth.help"))
                synth, defaults = Form("dataset.synth", Degradations), Degradations()
                with gr.Row():
                    synth.field("text", gr.Textbox, lines=6)
                    synth.field("text_file", gr.File, file_types=[".txt"])
                font_names = [path.name for path in find_cjk_fonts()]
                synth.field("fonts", gr.CheckboxGroup, choices=font_names, value=font_names)
                with gr.Row():
                    synth.field("n", gr.Number, value=0, precision=0)
                    synth.field("font_min", gr.Slider, minimum=8, maximum=96, value=28, step=1)
                    synth.field("font_max", gr.Slider, minimum=8, maximum=96, value=40, step=1)
                with gr.Row():
                    synth.field("blur", gr.Slider, minimum=0, maximum=4, value=defaults.blur, step=0.1)
                    synth.field("noise", gr.Slider, minimum=0, maximum=40, value=defaults.noise, step=1)
                    synth.field("jpeg", gr.Slider, minimum=0, maximum=95, value=defaults.jpeg, step=1)
                with gr.Row():
                    synth.field("rotation", gr.Slider, minimum=0, maximum=10, value=defaults.rotation, step=0.5)
                    synth.field("contrast", gr.Slider, minimum=0.1, maximum=1, value=defaults.contrast, step=0.05)
                    synth.field("background", gr.Checkbox, value=defaults.background)
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

        # each form joined in the order of the API's parameters: the kind's own, the output settings, the columns
        files_button.click(build_from_files, inputs_kwargs=(files | settings | files_columns).inputs,
                           outputs=results, api_name="build_dataset_files")
        existing_button.click(build_from_existing, inputs_kwargs=(existing | settings | existing_columns).inputs,
                              outputs=results, api_name="build_dataset_existing")
        label_images.change(images_to_table, inputs=[label_images],
                            outputs=[label["table"], label["images"], label_gallery], api_name="dataset_label_images")
        prelabel_button.click(prelabel_table, inputs_kwargs=label.inputs, outputs=[label["table"]],
                              api_name="dataset_prelabel", concurrency_id="gpu")
        table_button.click(build_from_table, inputs_kwargs={"table": label["table"], "images": label["images"],
                                                            **settings.inputs},
                           outputs=results, api_name="build_dataset_table")
        look = {name: component for name, component in synth.inputs.items() if name != "n"}  # n: build only
        preview_button.click(synth_preview, inputs_kwargs={**look, "seed": settings["seed"]}, outputs=[gallery],
                             api_name="dataset_synth_preview")
        synth_button.click(build_from_synth, inputs_kwargs=(synth | settings).inputs, outputs=results,
                           api_name="build_dataset_synth")


def _column_inputs() -> Form:
    """The column mapping (ColumnMapping's image/text/split), one copy per input kind that reads tables."""
    columns = Form("dataset")
    with gr.Accordion(t("dataset.columns"), open=False):
        with gr.Row():
            for name in ("image_column", "text_column", "split_column"):
                columns.field(name, gr.Textbox)
    return columns
