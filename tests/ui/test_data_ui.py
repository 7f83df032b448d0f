"""The Build Dataset tab's handlers, called as the plain functions Gradio calls; and pre-labelling."""

import shutil
from pathlib import Path

import gradio as gr
import pandas as pd
import pytest

from ocr_space.data.prelabel import prelabel, write_drafts
from ocr_space.data.sources import open_source
from ocr_space.ui import dataset_tab

from support.data_builders import write_image, write_manifest, write_pairs

SETTINGS = dict(name="ui-set", prefix="data", split="0.8,0.1,0.1", seed=42, max_mp=50, min_side=10)
AUTO_COLUMNS = dict(image_column="", text_column="", split_column="")
LOOK = dict(font_min=24, font_max=30, blur=1.0, noise=8, jpeg=30, rotation=2, contrast=0.5, background=True)


@pytest.fixture(autouse=True)
def datasets_under_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("OCR_SPACE_DATASETS", str(tmp_path / "datasets"))


def test_uploaded_manifest_builds_and_fills_every_result_panel(tmp_path):
    pairs = write_pairs(tmp_path / "up", [f"上传{i}" for i in range(10)])
    pairs.append(("gone.png", "丢失"))
    manifest = write_manifest(tmp_path / "up" / "lines.txt", pairs)
    summary, gallery, rejected, stats, files = dataset_tab.build_from_files(files=[str(manifest)], **SETTINGS,
                                                                            **AUTO_COLUMNS)
    assert "**8** train" in summary and "**1** rejected" in summary and str(tmp_path / "datasets") in summary
    assert len(gallery) == 8 and all(text.startswith("上传") for _, text in gallery)
    assert rejected.to_dict("records") == [{"ref": "lines.txt:11", "reason": "missing_file",
                                            "detail": rejected["detail"][0], "text": "丢失"}]
    assert "distinct characters" in stats
    assert {name.rsplit("/", 1)[-1] for name in files} >= {"data_train.parquet", "README.md", "rejected.jsonl"}


def test_loose_uploads_are_one_folder_and_manifest_paths_match_by_file_name(tmp_path):
    """A browser uploads files without their folders: images/img_000.png arrives as img_000.png."""
    write_pairs(tmp_path / "set" / "images", ["分开", "上传", "文件"])
    manifest = write_manifest(tmp_path / "set" / "lines.txt", [(f"images/img_{i:03d}.png", t)
                                                               for i, t in enumerate(["分开", "上传", "文件"])])
    uploads = [str(manifest)] + sorted(str(p) for p in (tmp_path / "set" / "images").glob("*.png"))
    summary, *_ = dataset_tab.build_from_files(files=uploads, **SETTINGS, **AUTO_COLUMNS)
    assert "**0** rejected" in summary and "**1** test" in summary


def test_typed_rows_become_a_dataset_and_unknown_names_are_reported(tmp_path):
    uploads = [str(write_image(tmp_path / "u" / f"scan{i}.png", i)) for i in range(3)]
    table, paths, gallery = dataset_tab.images_to_table(uploads)
    assert table["image"].tolist() == ["scan0.png", "scan1.png", "scan2.png"] and len(gallery) == 3
    table["text"] = ["第一行", "", "第三行"]
    extra = pd.DataFrame([{"image": "typo.png", "text": "没有这张图"}])
    summary, _, rejected, _, _ = dataset_tab.build_from_table(table=pd.concat([table, extra]), images=paths,
                                                                 **SETTINGS)
    assert "**2** train" in summary and "**2** rejected" in summary
    assert sorted(zip(rejected["ref"], rejected["reason"], strict=True)) == [("scan1.png", "empty_text"),
                                                                ("typo.png", "missing_file")]
    built = pd.read_parquet(tmp_path / "datasets" / "ui-set" / "data_train.parquet")
    assert set(built["text"]) <= {"第一行", "第三行"}


def test_prelabel_fills_only_empty_cells(tmp_path, tiny_model_dir, example_lines):
    table, paths, _ = dataset_tab.images_to_table([str(p) for p in example_lines[:3]])
    table.loc[1, "text"] = "用户已经输入"
    filled = dataset_tab.prelabel_table(table=table, images=paths, model=str(tiny_model_dir), adapter="",
                                        max_new_tokens=6)
    assert filled.loc[1, "text"] == "用户已经输入"
    assert all(isinstance(text, str) for text in filled["text"])
    assert filled["image"].tolist() == table["image"].tolist()


def test_prelabel_drafts_every_image_and_writes_an_editable_table(tmp_path, tiny_loaded, example_lines):
    (tmp_path / "broken.png").write_bytes(b"not an image")
    images = [*example_lines[:2], tmp_path / "broken.png"]
    drafts = prelabel(tiny_loaded, images, max_new_tokens=6, batch_size=2)
    assert [d.image for d in drafts] == images
    assert drafts[2].error and drafts[2].text == "" and all(d.error is None for d in drafts[:2])
    for draft, image in zip(drafts, images, strict=True):  # drafts sit next to their images, as the CLI recommends
        draft.image = Path(shutil.copy(image, tmp_path / image.name)) if image.parent != tmp_path else image
    table = write_drafts(drafts, tmp_path / "drafts.tsv")
    assert table.read_text("utf-8").splitlines()[0] == "file_name\ttext"
    with open_source(table) as source:
        rows = [(c.image.name, c.text) for c in source]
    assert rows == [(d.image.name, d.text) for d in drafts]


def test_synth_preview_and_build(tmp_path):
    preview = dataset_tab.synth_preview(text="发票号码\n金额合计", text_file=None, fonts=["ukai.ttc"], **LOOK,
                                        seed=1)
    assert len(preview) == 8 and {text for _, text in preview} == {"发票号码", "金额合计"}
    summary, gallery, *_ = dataset_tab.build_from_synth(text="发票号码\n金额合计", text_file=None,
                                                        fonts=["ukai.ttc", "wqy-microhei.ttc"], n=10, **LOOK,
                                                        **SETTINGS)
    assert "**8** train" in summary and len(gallery) == 8


def test_user_mistakes_are_messages(tmp_path):
    with pytest.raises(gr.Error, match="letters, digits"):
        dataset_tab.build_from_synth(text="字", text_file=None, fonts=[], n=1, **LOOK,
                                     **{**SETTINGS, "name": "../up"})
    with pytest.raises(gr.Error, match="Upload at least one file"):
        dataset_tab.build_from_files(files=[], **SETTINGS, **AUTO_COLUMNS)
    with pytest.raises(gr.Error, match="Hub dataset"):
        dataset_tab.build_from_existing(source="someone/some-dataset", source_split="train[:10]", **SETTINGS,
                                        **AUTO_COLUMNS)
