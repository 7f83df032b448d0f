"""Every input kind becomes the same stream of (image, text[, split]) candidates."""

import csv
import json
import os
import stat
import tempfile
import uuid
import zipfile

import datasets
import pytest

from ocr_space.data.build import build_dataset
from ocr_space.data.sources import ColumnMapping, detect_kind, open_source, parse_source_split, rows_source
from ocr_space.data.splits import DatasetError
from ocr_space.errors import ConfigError

from support.data_builders import image_bytes, write_image, write_manifest, write_pairs


def _pairs(source_input, **kwargs) -> list[tuple]:
    """(image file name or None, text, split, problem reason) per candidate."""
    with open_source(source_input, **kwargs) as source:
        return [(c.image.name if hasattr(c.image, "name") else (None if c.image is None else "<bytes>"), c.text,
                 c.split, c.problem[0] if c.problem else None) for c in source]


def test_plain_manifest_splits_on_the_first_whitespace_run_and_skips_comments(tmp_path):
    write_pairs(tmp_path, ["a", "b"])
    (tmp_path / "lines.txt").write_text("# header\n\nimg_000.png \t 发票 号码 2024\r\n  # indented comment\n"
                                        "img_001.png\t金额\n", encoding="utf-8")
    assert _pairs(tmp_path / "lines.txt") == [("img_000.png", "发票 号码 2024", None, None),
                                              ("img_001.png", "金额", None, None)]


def test_plain_manifest_paths_are_relative_to_its_folder(tmp_path, monkeypatch):
    write_image(tmp_path / "set" / "images" / "a.png", 1)
    write_manifest(tmp_path / "set" / "lines.txt", [("images/a.png", "相对")])
    monkeypatch.chdir(tmp_path)
    with open_source("set/lines.txt") as source:
        (candidate,) = list(source)
    assert candidate.image == (tmp_path / "set" / "images" / "a.png").resolve()


def test_flat_upload_matches_manifest_paths_by_file_name_only_when_asked(tmp_path):
    write_pairs(tmp_path, ["平"])
    write_manifest(tmp_path / "lines.txt", [("images/img_000.png", "平"), ("images/other.png", "无")])
    with open_source(tmp_path / "lines.txt", flat=True) as source:
        assert [c.image.is_file() for c in source] == [True, False]
    with open_source(tmp_path / "lines.txt") as source:
        assert [c.image.is_file() for c in source] == [False, False]


def test_csv_columns_are_auto_detected(tmp_path):
    write_pairs(tmp_path, ["甲", "乙"])
    with open(tmp_path / "labels.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "Transcription", "path"])
        writer.writerows([[1, "甲", "img_000.png"], [2, "乙, with a comma", "img_001.png"]])
    assert _pairs(tmp_path / "labels.csv") == [("img_000.png", "甲", None, None),
                                               ("img_001.png", "乙, with a comma", None, None)]


def test_tsv_with_explicit_mapping_overrides_detection(tmp_path):
    write_pairs(tmp_path, ["错", "对"])
    (tmp_path / "labels.tsv").write_text("image\ttext\tocr\nimg_000.png\twrong\t错\nimg_001.png\twrong\t对\n",
                                         encoding="utf-8")
    assert [p[1] for p in _pairs(tmp_path / "labels.tsv")] == ["wrong", "wrong"]
    assert [p[1] for p in _pairs(tmp_path / "labels.tsv", columns="ocr=text")] == ["错", "对"]
    assert [p[1] for p in _pairs(tmp_path / "labels.tsv", columns=ColumnMapping(text="ocr"))] == ["错", "对"]


def test_unknown_or_missing_columns_are_named(tmp_path):
    (tmp_path / "labels.csv").write_text("picture,words\na.png,字\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no image column.*picture, words"):
        open_source(tmp_path / "labels.csv")
    with pytest.raises(DatasetError, match="no column 'pic'"):
        open_source(tmp_path / "labels.csv", columns="pic=image,words=text")
    with pytest.raises(ConfigError, match="role"):
        open_source(tmp_path / "labels.csv", columns="picture=photo")


def test_headerless_csv_is_read_as_path_then_text(tmp_path):
    write_pairs(tmp_path, ["无表头", "第二行"])
    (tmp_path / "labels.csv").write_text("img_000.png,无表头\nimg_001.png,第二行\n", encoding="utf-8")
    assert [p[:2] for p in _pairs(tmp_path / "labels.csv")] == [("img_000.png", "无表头"), ("img_001.png", "第二行")]


def test_imagefolder_metadata_jsonl_in_a_folder_with_split_column(tmp_path):
    write_pairs(tmp_path / "train", ["训练"])
    write_pairs(tmp_path / "test", ["测试"], start=1)
    rows = [{"file_name": "train/img_000.png", "text": "训练", "split": "train"},
            {"file_name": "test/img_001.png", "text": "测试", "split": "test"}]
    (tmp_path / "metadata.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                             encoding="utf-8")
    assert detect_kind(str(tmp_path))[0] == "table"
    assert _pairs(tmp_path) == [("img_000.png", "训练", "train", None), ("img_001.png", "测试", "test", None)]


def test_json_list_of_objects_is_a_table(tmp_path):
    write_pairs(tmp_path, ["列表"])
    (tmp_path / "labels.json").write_text(json.dumps([{"image": "img_000.png", "label": "列表"}]), encoding="utf-8")
    assert _pairs(tmp_path / "labels.json") == [("img_000.png", "列表", None, None)]


def test_folder_of_images_with_same_stem_txt(tmp_path):
    write_image(tmp_path / "a" / "one.png", 1)
    (tmp_path / "a" / "one.txt").write_text("第一\n", encoding="gb18030")
    write_image(tmp_path / "two.jpg", 2, fmt="JPEG")
    (tmp_path / "two.txt").write_text("第二", encoding="utf-8")
    assert detect_kind(str(tmp_path))[0] == "folder"
    assert _pairs(tmp_path) == [("one.png", "第一\n", None, None), ("two.jpg", "第二", None, None)]


def test_folder_with_one_manifest_reads_the_manifest(example_lines):
    folder = example_lines[0].parent
    assert detect_kind(str(folder)) == ("manifest", folder / "lines.txt")
    assert len(_pairs(folder)) == 4


def test_unclear_folder_is_an_error_that_says_what_is_accepted(tmp_path):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "b.txt").write_text("y", encoding="utf-8")
    with pytest.raises(DatasetError, match="Cannot tell how"):
        open_source(tmp_path)


def test_zip_of_a_folder_is_extracted_and_cleaned_up(tmp_path):
    archive = tmp_path / "lines.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("lines/a.png", image_bytes(1))
        zf.writestr("lines/a.txt", "压缩")
        zf.writestr("__MACOSX/lines/._a.png", b"junk")
    with open_source(archive) as source:
        (candidate,) = list(source)
        extracted = candidate.image
        assert extracted.is_file() and candidate.text == "压缩"
    assert not extracted.exists()


def test_zip_slip_entries_are_rejected_and_never_written(tmp_path):
    marker = f"evil-{uuid.uuid4().hex}"
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ok.png", image_bytes(1))
        zf.writestr("ok.txt", "好")
        zf.writestr(f"../{marker}.png", image_bytes(2))
        zf.writestr(f"sub/../../{marker}-2.png", image_bytes(3))
        zf.writestr(f"/{marker}-abs.png", image_bytes(4))
        zf.writestr(f"C:\\{marker}-win.png", image_bytes(5))
        link = zipfile.ZipInfo(f"{marker}-link.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    found = _pairs(archive)
    assert found[-1] == ("ok.png", "好", None, None)
    assert [reason for *_, reason in found[:-1]] == ["outside_root"] * 5
    temp_root = tempfile.gettempdir()
    for place in (temp_root, os.path.dirname(temp_root), "/", tmp_path, tmp_path.parent):
        assert not any(name.startswith(marker) for name in os.listdir(place))


def test_not_a_zip_is_a_clear_error(tmp_path):
    (tmp_path / "fake.zip").write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="not a readable zip"):
        open_source(tmp_path / "fake.zip")


def test_existing_parquet_dataset_keeps_its_splits_and_limits_rows(tmp_path):
    write_pairs(tmp_path / "raw", [f"行{i}" for i in range(10)])
    write_manifest(tmp_path / "raw" / "lines.txt", [(f"img_{i:03d}.png", f"行{i}") for i in range(10)])
    build_dataset(tmp_path / "raw" / "lines.txt", tmp_path / "built", prefix="lines")
    everything = _pairs(tmp_path / "built")
    assert sorted(p[2] for p in everything) == ["test"] + ["train"] * 8 + ["validation"]
    assert all(p[0] == "<bytes>" for p in everything)
    limited = _pairs(tmp_path / "built", source_split="train[:3]+test")
    assert [p[2] for p in limited] == ["train"] * 3 + ["test"]


def test_save_to_disk_folder_with_a_path_column_mapping(tmp_path):
    write_pairs(tmp_path, ["映射一", "映射二", "映射三"])
    rows = {"image_path": [f"img_{i:03d}.png" for i in range(3)], "ocr": ["映射一", "映射二", "映射三"]}
    datasets.Dataset.from_dict(rows).save_to_disk(str(tmp_path / "saved"))
    for i in range(3):
        os.replace(tmp_path / f"img_{i:03d}.png", tmp_path / "saved" / f"img_{i:03d}.png")
    found = _pairs(tmp_path / "saved", columns="image_path=image,ocr=text", source_split="train[1:3]")
    assert found == [("img_001.png", "映射二", "train", None), ("img_002.png", "映射三", "train", None)]


def test_single_arrow_file_with_embedded_images(tmp_path):
    features = datasets.Features({"image": datasets.Image(), "label": datasets.Value("string")})
    rows = {"image": [{"bytes": image_bytes(i), "path": None} for i in range(2)], "label": ["箭", "头"]}
    datasets.Dataset.from_dict(rows, features=features).save_to_disk(str(tmp_path / "saved"))
    (arrow_file,) = (tmp_path / "saved").glob("*.arrow")
    assert _pairs(arrow_file) == [("<bytes>", "箭", "train", None), ("<bytes>", "头", "train", None)]


def test_hub_id_that_cannot_be_reached_is_a_clear_error():
    with pytest.raises(DatasetError, match="Hub dataset.*HF_HUB_OFFLINE"):
        open_source("priyank-m/chinese_text_recognition", source_split="train[:1000]")


def test_source_split_syntax():
    assert parse_source_split("train[:1000]") == [("train", 0, 1000)]
    assert parse_source_split("validation[10:20], test") == [("validation", 10, 20), ("test", 0, None)]
    with pytest.raises(ConfigError, match="Percent"):
        parse_source_split("train[:10%]")
    with pytest.raises(ConfigError, match="source split"):
        open_source("examples/lines/lines.txt", source_split="train[:2]")


def test_rows_from_the_app_keep_their_names(tmp_path):
    path = write_image(tmp_path / "upload.png", 1)
    with rows_source([(str(path), "上传"), (None, "没有图"), (image_bytes(2), "字节")],
                     refs=["scan.png", "missing.png", "pasted"]) as source:
        found = [(c.ref, c.text, c.problem[0] if c.problem else None) for c in source]
    assert found == [("scan.png", "上传", None), ("missing.png", "没有图", "missing_file"), ("pasted", "字节", None)]
