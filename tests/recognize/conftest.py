"""Fixtures for reading documents: a 3-page PDF made here with the CJK line renderer and PIL's PDF writer."""

from pathlib import Path

import pytest

#: one line of text per page, so a test can tell the pages apart
PAGE_LINES = ("第一页 发票", "第二页 合计", "第三页 日期")


def make_pdf(path: Path, lines=PAGE_LINES, page_size=(595, 842)) -> Path:
    """A PDF with one rendered CJK line per page, pages of ``page_size`` points (A4 by default)."""
    from PIL import Image

    from ocr_space.data.fonts import require_cjk_fonts
    from ocr_space.data.synth import render_line

    font = require_cjk_fonts()[0]
    pages = []
    for line in lines:
        page = Image.new("RGB", page_size, "white")
        page.paste(render_line(line, font, font_size=40), (40, 60))
        pages.append(page)
    # resolution 72 dpi: one pixel per PDF point, so the page is page_size points
    pages[0].save(path, save_all=True, append_images=pages[1:], resolution=72.0)
    return path


@pytest.fixture(scope="session")
def three_page_pdf(tmp_path_factory) -> Path:
    return make_pdf(tmp_path_factory.mktemp("pdf") / "three-pages.pdf")


#: what the grounded model learns to answer for every image: one titled region (boxes on the 0..999 grid)
GROUNDED_ANSWER = "<|ref|>title<|/ref|><|det|>[[100, 100, 900, 300]]<|/det|>\n# 标题"


@pytest.fixture(scope="session")
def grounded_model_dir(tmp_path_factory) -> Path:
    """A tiny model trained (80 steps, then merged) to answer GROUNDED_ANSWER: real grounded output, no faking.

    A random tiny model never writes grounding tags, so the boxes and markdown paths need a trained one.
    """
    import datasets

    from ocr_space.data.fonts import require_cjk_fonts
    from ocr_space.data.splits import write_split
    from ocr_space.data.synth import render_line
    from ocr_space.testing import build_tiny_model
    from ocr_space.train import TrainConfig, merge, train

    root = tmp_path_factory.mktemp("grounded")
    model = build_tiny_model(root / "model", characters="标题正文")
    font = require_cjk_fonts()[0]
    lines = ["标题", "正文", "标题正文", "正文标题"]
    dataset = datasets.Dataset.from_dict({"image": [render_line(line, font, font_size=28) for line in lines],
                                          "text": [GROUNDED_ANSWER] * len(lines)})
    write_split(dataset.cast_column("image", datasets.Image()), root / "data", "train")
    result = train(TrainConfig(model=str(model), data=str(root / "data"), out=str(root / "run"), steps=80,
                               batch_size=4, grad_accum=1, warmup_steps=0, learning_rate=0.01, save_steps=1000,
                               eval_samples=0, gradient_checkpointing="off", device="cpu", train_modules=["lm_head"]))
    return merge(str(model), str(result.adapter), root / "merged", dtype="float32", device="cpu")
