"""Synthetic lines: real fonts, visible degradations, labels that match what was drawn, reproducible."""

import hashlib
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from rapidfuzz.distance import Levenshtein

from ocr_space.data.build import build_dataset
from ocr_space.data.fonts import resolve_fonts
from ocr_space.data.synth import Degradations, compose_lines, read_lines, synth_dataset, synth_lines, write_synth_images
from ocr_space.errors import ConfigError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FONTS = ["ukai", "wqy-microhei"]  # a brush-like Kai and a sans: two clearly different styles
LINES = ["发票号码二〇二四年", "深度学习模型需要大量标注数据", "请于每日上午九点前提交", "收货地址北京市海淀区",
         "会议纪要关于第三季度预算", "道路千万条安全第一条"]


def _rows(folder: Path) -> pd.DataFrame:
    return pd.concat([pd.read_parquet(path) for path in sorted(folder.glob("*.parquet"))], ignore_index=True)


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=float)


def test_synth_uses_two_fonts_and_images_are_not_blank(tmp_path):
    built = synth_dataset(LINES, tmp_path / "ds", n=24, fonts=FONTS, seed=3)
    assert built.summary() == {"train": 19, "validation": 3, "test": 2, "rejected": 0}
    rows = _rows(tmp_path / "ds")
    provenance = {r["sha256"]: r for r in map(json.loads, (tmp_path / "ds" / "synth.jsonl").read_text().splitlines())}
    fonts_used = set()
    for image, text in zip(rows["image"], rows["text"], strict=True):
        record = provenance[hashlib.sha256(image["bytes"]).hexdigest()]
        assert record["text"] == text
        fonts_used.add(record["font"])
        pixels = _pixels(image["bytes"])
        ink = (pixels < pixels.mean() - 40).mean()
        assert pixels.std() > 10 and 0.01 < ink < 0.6, (text, pixels.std(), ink)
    assert fonts_used == {"ukai.ttc", "wqy-microhei.ttc"}


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract-ocr + chi-sim (packages.txt)")
def test_text_column_is_what_was_drawn(tmp_path):
    """An independent reader (tesseract) reads each clean render back as its text column."""
    synth_dataset(LINES, tmp_path / "ds", fonts=FONTS, degradations=Degradations.none(), font_size=(40, 40),
                  split="1,0,0")
    rows = _rows(tmp_path / "ds")
    errors = []
    for image, text in zip(rows["image"], rows["text"], strict=True):
        (tmp_path / "line.png").write_bytes(image["bytes"])
        read = subprocess.run(["tesseract", str(tmp_path / "line.png"), "stdout", "-l", "chi_sim", "--psm", "7"],
                              capture_output=True, text=True, timeout=60).stdout
        errors.append(Levenshtein.normalized_distance(read.replace(" ", "").strip(), text))
    assert sorted(rows["text"]) == sorted(LINES)
    assert max(errors) < 0.35 and np.mean(errors) < 0.15, errors


def test_same_seed_same_images_other_seed_other_images():
    def digests(seed):
        return [hashlib.sha256(line.image_bytes).hexdigest() for line in synth_lines(LINES, 4, FONTS, seed=seed)]

    assert digests(5) == digests(5)
    assert digests(5) != digests(6)


def test_each_degradation_changes_the_image():
    clean = Degradations.none()
    base = _pixels(next(synth_lines(["模糊噪声"], 1, ["wqy-microhei"], clean, 0, (32, 32))).image_bytes)
    for change in ({"blur": 2.0}, {"noise": 20.0}, {"jpeg": 10}, {"contrast": 0.3}, {"background": True}):
        varied = Degradations(**{**clean.__dict__, **change})
        line = next(synth_lines(["模糊噪声"], 1, ["wqy-microhei"], varied, 0, (32, 32)))
        pixels = _pixels(line.image_bytes)
        assert pixels.shape == base.shape and np.abs(pixels - base).mean() > 0.5, change
    rotated = next(synth_lines(["模糊噪声"], 1, ["wqy-microhei"], Degradations(**{**clean.__dict__, "rotation": 8}),
                               0, (32, 32)))
    assert _pixels(rotated.image_bytes).shape != base.shape  # tilted, canvas expanded


def test_line_no_font_can_draw_is_rejected_as_unrenderable(tmp_path):
    built = synth_dataset(["能画的字", "不能画𪚥"], tmp_path / "ds", fonts=FONTS, split="1,0,0")
    assert built.summary() == {"train": 1, "validation": 0, "test": 0, "rejected": 1}
    assert built.rejected[0].reason == "unrenderable" and "𪚥" in built.rejected[0].detail


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="contrast"):
        Degradations(contrast=0)
    with pytest.raises(ConfigError, match="jpeg"):
        Degradations(jpeg=120)
    with pytest.raises(ConfigError, match="neither a font file nor an installed font"):
        resolve_fonts(["no-such-font"])
    with pytest.raises(ConfigError, match="No text"):
        synth_lines(["  ", ""])


def test_vocabulary_becomes_lines_of_terms():
    lines = compose_lines(["发票", "金额", "税号", "invoice", "total"], 20, seed=1, min_chars=6, max_chars=12)
    assert len(lines) == 20 and all(1 <= len(line) <= 12 for line in lines)
    assert all(set(line) <= set("发票金额税号invoicetotal ") for line in lines)
    glued = [pair for pair in ("invoicetotal", "totalinvoice", "invoiceinvoice", "totaltotal")
             if any(pair in line for line in lines)]
    assert not glued  # ASCII words keep a space between them


def test_demo_set_is_what_the_generator_makes_and_builds_cleanly(tmp_path):
    """examples/demo is regenerated by the command in its manifest header; it builds with nothing rejected."""
    manifest = EXAMPLES / "demo" / "manifest.txt"
    assert manifest.read_text("utf-8").splitlines()[1] == (
        "# Regenerate: python -m ocr_space dataset synth --text examples/demo/text.txt --out examples/demo --n 30 "
        "--seed 0 --font-size 22,30 --palette 16 --fonts ukai wqy-microhei wqy-zenhei --images")
    regenerated = write_synth_images(read_lines(EXAMPLES / "demo" / "text.txt"), tmp_path, n=30, seed=0,
                                     font_size=(22, 30), palette=16, fonts=["ukai", "wqy-microhei", "wqy-zenhei"])
    committed = sorted((EXAMPLES / "demo" / "images").glob("*.png"))
    assert [p.name for p in committed] == [p.name for p in regenerated.images] and len(committed) == 30
    for old, new in zip(committed, regenerated.images, strict=True):  # equal up to font-rasteriser differences
        old_pixels, new_pixels = _pixels(old.read_bytes()), _pixels(new.read_bytes())
        assert old_pixels.shape == new_pixels.shape and np.abs(old_pixels - new_pixels).mean() < 2, old.name
    built = build_dataset(manifest, tmp_path / "ds", prefix="demo")
    assert built.summary() == {"train": 24, "validation": 3, "test": 3, "rejected": 0}
    assert max(p.stat().st_size for p in committed) < 25_000
