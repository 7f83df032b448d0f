"""The bad-input corpus (tests/data/bad_inputs/, plus big files made here) through the UI handlers and the CLI:
every case ends in a result or a clear message, never a traceback or the "something went wrong" of a bug, and a
failed build never costs the output of an earlier one."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from pathlib import Path

import gradio as gr
import pytest

from ocr_space.cli import main as cli
from ocr_space.images import load_image
from ocr_space.ui import dataset_tab, recognize_tab
from ocr_space.ui.strings import t

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
IMAGES = sorted(p for p in CORPUS.iterdir() if p.suffix in {".png", ".jpg", ".gif"})
INPUTS = sorted(p for p in CORPUS.iterdir() if p.suffix not in {".png", ".jpg", ".gif"})
SETTINGS = dict(prefix="data", split="0.8,0.1,0.1", seed=42, max_mp=50, min_side=10, image_column="",
                text_column="", split_column="")
BUG = t("error.unexpected", kind="").split("(")[0]  # what a message starts with when the cause is a bug


def test_the_corpus_is_what_the_issue_asks_for():
    assert len(list(CORPUS.iterdir())) >= 30
    assert {"corrupt.png", "truncated.png", "zero.png", "transparent.png", "cmyk.jpg", "gray16.png",
            "zip_slip.zip", "manifest_big5.txt", "manifest_shift_jis.txt", "manifest_utf16_nobom.txt",
            "empty.csv", "wrong_columns.csv"} <= {p.name for p in CORPUS.iterdir()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    """The big ones: a real 200-megapixel PNG, a zip bomb (one entry declaring 3 GB), a 10,000-row manifest."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("generated")
    huge = folder / "huge_200mp.png"
    Image.new("1", (14_200, 14_200), 1).save(huge)  # 1 bit a pixel: a few MB in memory, a small file
    bomb = folder / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("page.png", b"\0" * 4096)
    data = bytearray(bomb.read_bytes())  # declare 3 GB uncompressed in the local header and the central directory
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = data.index(signature)
        data[start + offset:start + offset + 4] = struct.pack("<I", 3_000_000_000)
    bomb.write_bytes(bytes(data))
    rows = folder / "rows_10000.txt"
    rows.write_text("".join(f"missing_{i:05d}.png 第{i}行\n" for i in range(10_000)), encoding="utf-8")
    return {"huge": huge, "bomb": bomb, "rows": rows}


def _build(path: Path, name: str = "corpus") -> tuple[str, list]:
    """Build Dataset's upload handler on one file: the summary, or the message it shows; never anything else."""
    try:
        summary, *rest = dataset_tab.build_from_files(files=[str(path)], name=name, **SETTINGS)
        return summary, rest
    except gr.Error as error:
        return error.message, []


def _assert_clear(message: str) -> None:
    assert message and "Traceback" not in message and BUG not in message, message


@pytest.fixture
def datasets(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("OCR_SPACE_DATASETS", str(tmp_path / "datasets"))
    return tmp_path / "datasets"


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_each_input_file_builds_or_says_why_in_the_ui(path, datasets):
    message, _ = _build(path)
    _assert_clear(message)


def test_the_big_generated_inputs_are_refused_or_reported_in_the_ui(generated, datasets):
    message, _ = _build(generated["bomb"])
    assert "too_large" in message or "above" in message, message
    message, (gallery, rejected, *_) = _build(generated["rows"])
    assert message.startswith(t("dataset.nothing")) and "10000" in message.replace(",", "")
    assert set(rejected["reason"]) == {"missing_file"}


def test_legacy_cjk_manifests_are_read_in_their_own_encoding_and_the_report_says_which(datasets):
    cases = (("big5", "發票號碼：二零二四年八月十五日"), ("shift_jis", "請求書番号：二〇二四年八月"),
             ("euc_kr", "안녕하세요 세계"), ("utf16_nobom", "无字节序标记"))
    for encoding, first_text in cases:
        message, _ = _build(CORPUS / f"manifest_{encoding}.txt", name=encoding)
        assert "read as " + {"utf16_nobom": "utf-16-le"}.get(encoding, encoding) in message, message
        import pandas as pd

        texts = pd.concat(pd.read_parquet(path) for path in sorted((datasets / encoding).glob("*.parquet")))["text"]
        assert first_text in set(texts)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_each_input_file_through_the_cli_ends_in_a_summary_or_an_error_line(path, tmp_path, capsys):
    code = cli(["dataset", "build", str(path), "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert err.strip().splitlines()[-1].startswith("error: ")
    else:
        assert '"train"' in out


def test_a_failed_cli_build_keeps_the_earlier_build(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli(["dataset", "build", str(CORPUS / "manifest_big5.txt"), "--out", str(out)]) == 0
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    assert cli(["dataset", "build", str(CORPUS / "wrong_columns.csv"), "--out", str(out)]) == 2
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()} == before
    capsys.readouterr()


def _recognize(image: Path, model: Path) -> str:
    try:
        text, details = recognize_tab.run_recognize(image=str(image), model=str(model), adapter="", prompt="ocr",
                                                    mode="default", max_new_tokens=2)
        return details
    except gr.Error as error:
        return error.message


def test_every_image_is_recognized_or_refused_with_the_clis_words(tiny_model_dir, generated, capsys):
    results = {path.name: _recognize(path, tiny_model_dir) for path in [*IMAGES, generated["huge"]]}
    for message in results.values():
        _assert_clear(message)
    for readable in ("transparent.png", "gray_alpha.png", "palette.png", "cmyk.jpg", "gray16.png",
                     "exif_rotated.jpg", "animated.gif", "ok_0.png"):
        assert "new tokens" in results[readable], (readable, results[readable])
    assert "above the limit" in results["huge_200mp.png"] and "above the limit" in results["header_200mp.png"]
    assert "empty" in results["zero.png"] and "at least 10 px" in results["tiny.png"]
    # the CLI says the same for the same file
    for name in ("zero.png", "header_200mp.png"):
        assert cli(["recognize", "--model", str(tiny_model_dir), "--max-new-tokens", "2", str(CORPUS / name)]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and results[name].split(":")[0] in err


def test_a_transparent_png_is_read_on_white_not_black():
    image = load_image(CORPUS / "transparent.png")
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert min(image.convert("L").getdata()) < 128  # the black text is still there
