"""Every rejection reason, the encodings manifests may come in, and images normalised to upright RGB."""

import io
import json

import pytest
from PIL import Image, PngImagePlugin

from ocr_space.data.build import build_dataset
from ocr_space.data.samples import REJECTION_REASONS, Candidate, Rejection, Sample
from ocr_space.data.sources import open_source
from ocr_space.data.splits import DatasetError
from ocr_space.data.validate import Validator, decode_text

from support.data_builders import image_bytes, png_header_only, write_image, write_manifest, write_pairs


def _check(candidate: Candidate, **limits):
    return Validator(**limits).check(candidate)


def _reasons(source_path, **kwargs) -> dict[str, str]:
    """ref -> reason for every candidate of a source, as the validator files it."""
    validator = Validator()
    with open_source(source_path, **kwargs) as source:
        return {c.ref: (o.reason if isinstance(o, Rejection) else "ok") for c in source
                for o in [validator.check(c)]}


def test_missing_file_is_rejected(tmp_path):
    outcome = _check(Candidate("a", tmp_path / "nope.png", "字"))
    assert outcome.reason == "missing_file"


def test_zero_byte_file_is_rejected(tmp_path):
    (tmp_path / "empty.png").write_bytes(b"")
    assert _check(Candidate("a", tmp_path / "empty.png", "字")).reason == "empty_file"


def test_corrupt_and_truncated_images_are_unreadable(tmp_path):
    assert _check(Candidate("a", b"this is not an image", "字")).reason == "unreadable"
    truncated = image_bytes(1, size=(200, 100))[:300]
    outcome = _check(Candidate("b", truncated, "字"))
    assert outcome.reason == "unreadable", outcome


def test_image_below_ten_pixels_is_too_small():
    assert _check(Candidate("a", image_bytes(1, size=(200, 9)), "字")).reason == "too_small"
    assert isinstance(_check(Candidate("b", image_bytes(1, size=(10, 10)), "字")), Sample)


def test_pixel_limit_is_configurable():
    data = image_bytes(1, size=(100, 50))
    assert _check(Candidate("a", data, "字"), max_pixels=4_999).reason == "too_large"
    assert isinstance(_check(Candidate("a", data, "字"), max_pixels=5_000), Sample)


def test_file_too_big_for_any_allowed_image_is_refused_unread(tmp_path, monkeypatch):
    import ocr_space.data.validate as validate

    path = write_image(tmp_path / "huge.png", 1, size=(100, 50))
    monkeypatch.setattr(validate, "FILE_SLACK_BYTES", 0)
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("the file was read"))
    outcome = _check(Candidate("a", path, "字"), max_pixels=100)
    assert outcome.reason == "too_large" and "bytes" in outcome.detail


class _Decoded(Exception):
    pass


def test_decompression_bomb_is_rejected_from_its_header_without_decoding(monkeypatch):
    def refuse(self):
        raise _Decoded("pixels were decoded")

    monkeypatch.setattr(PngImagePlugin.PngImageFile, "load", refuse)
    for width, height in [(8_000, 8_000), (30_000, 30_000)]:  # above our 50 MP; above Pillow's own bomb limit
        outcome = _check(Candidate("bomb", png_header_only(width, height), "字"))
        assert isinstance(outcome, Rejection) and outcome.reason == "too_large", outcome


def test_empty_and_whitespace_text_are_rejected():
    data = image_bytes(1)
    assert _check(Candidate("a", data, "")).reason == "empty_text"
    assert _check(Candidate("b", data, " \t\u3000 ")).reason == "empty_text"
    assert _check(Candidate("c", data, None)).reason == "empty_text"


def test_same_pixels_under_another_name_or_format_is_a_duplicate():
    validator = Validator()
    first = validator.check(Candidate("a.png", image_bytes(3), "一"))
    again = validator.check(Candidate("b.bmp", image_bytes(3, fmt="BMP"), "二"))
    assert isinstance(first, Sample)
    assert again.reason == "duplicate" and "a.png" in again.detail


def test_path_escaping_the_manifest_folder_is_rejected(tmp_path):
    inner = tmp_path / "set"
    write_image(tmp_path / "outside.png", 1)
    write_image(inner / "inside.png", 2)
    manifest = write_manifest(inner / "lines.txt", [("inside.png", "内"), ("../outside.png", "外"),
                                                    (str(tmp_path / "outside.png"), "绝对")])
    assert list(_reasons(manifest).values()) == ["ok", "outside_root", "outside_root"]
    widened = _reasons(manifest, root=tmp_path)
    assert list(widened.values()) == ["ok", "ok", "duplicate"]


def test_symlink_leading_out_of_the_folder_is_rejected(tmp_path):
    write_image(tmp_path / "secret.png", 1)
    (tmp_path / "set").mkdir()
    (tmp_path / "set" / "link.png").symlink_to(tmp_path / "secret.png")
    (tmp_path / "set" / "link.txt").write_text("链接", encoding="utf-8")
    assert _reasons(tmp_path / "set", kind="folder") == {"link.png": "outside_root"}


def test_image_without_transcription_and_transcription_without_image(tmp_path):
    write_pairs(tmp_path, ["有"])
    (tmp_path / "img_000.txt").write_text("有", encoding="utf-8")
    write_image(tmp_path / "lonely.png", 7)
    (tmp_path / "orphan.txt").write_text("孤", encoding="utf-8")
    assert _reasons(tmp_path, kind="folder") == {"img_000.png": "ok", "lonely.png": "missing_text",
                                                 "orphan.txt": "missing_file"}


def test_transcription_in_an_unknown_encoding_is_bad_encoding(tmp_path):
    write_image(tmp_path / "a.png", 1)
    (tmp_path / "a.txt").write_bytes(b"\xff\xfe\xff\x80\x81")  # no UTF-8/GB18030 reading exists
    assert _reasons(tmp_path, kind="folder") == {"a.png": "bad_encoding"}


def test_unparseable_jsonl_row_is_bad_row(tmp_path):
    write_image(tmp_path / "a.png", 1)
    (tmp_path / "metadata.jsonl").write_text('{"file_name": "a.png", "text": "好"}\n{broken\n[1, 2]\n',
                                             encoding="utf-8")
    assert _reasons(tmp_path) == {"metadata.jsonl:1": "ok", "metadata.jsonl:2": "bad_row",
                                  "metadata.jsonl:3": "bad_row"}


def test_every_reason_has_a_sentence_and_reaches_rejected_jsonl(tmp_path):
    write_pairs(tmp_path, ["好"])
    (tmp_path / "zero.png").write_bytes(b"")
    manifest = write_manifest(tmp_path / "lines.txt", [("img_000.png", "好"), ("img_000.png", "again"),
                                                       ("zero.png", "零"), ("gone.png", "无"), ("img_000.png", "")])
    built = build_dataset(manifest, tmp_path / "out")
    rows = [json.loads(line) for line in (tmp_path / "out" / "rejected.jsonl").read_text("utf-8").splitlines()]
    assert [(row["ref"], row["reason"]) for row in rows] == [
        ("lines.txt:2", "duplicate"), ("lines.txt:3", "empty_file"), ("lines.txt:4", "missing_file"),
        ("lines.txt:5", "empty_text")]
    assert built.summary()["rejected"] == 4
    assert all(row["reason"] in REJECTION_REASONS and row["detail"] for row in rows)


def test_gb18030_manifest_is_read(tmp_path):
    pairs = write_pairs(tmp_path, ["简体中文：发票", "繁體與生僻字：鑫淼𠀀"])
    manifest = write_manifest(tmp_path / "lines.txt", pairs, encoding="gb18030", header="# 注释\n")
    with open_source(manifest) as source:
        assert [c.text for c in source] == ["简体中文：发票", "繁體與生僻字：鑫淼𠀀"]
        assert "gb18030" in source.description


def test_utf8_with_bom_manifest_is_read(tmp_path):
    pairs = write_pairs(tmp_path, ["带BOM"])
    manifest = write_manifest(tmp_path / "lines.txt", pairs, encoding="utf-8-sig")
    with open_source(manifest) as source:
        assert [(c.image.name, c.text) for c in source] == [("img_000.png", "带BOM")]


def test_undecodable_manifest_fails_with_a_clear_message(tmp_path):
    (tmp_path / "lines.txt").write_bytes(b"a.png \xff\xfe\x80\x81\n")
    with pytest.raises(DatasetError, match="not UTF-8.*GB18030.*re-save it as UTF-8"):
        open_source(tmp_path / "lines.txt")


def test_decode_text_reports_the_encoding_it_used():
    assert decode_text("发票".encode(), "x") == ("发票", "utf-8")
    assert decode_text("发票".encode("utf-8-sig"), "x") == ("发票", "utf-8-sig")
    assert decode_text("发票".encode("utf-16"), "x") == ("发票", "utf-16")


def test_exif_rotation_is_applied_and_stored_upright():
    image = Image.new("RGB", (40, 20), "white")
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    sample = _check(Candidate("phone.jpg", buffer.getvalue(), "竖"))
    assert (sample.width, sample.height) == (20, 40)
    stored = Image.open(io.BytesIO(sample.image_bytes))
    assert stored.size == (20, 40) and stored.getexif().get(0x0112, 1) == 1


def test_greyscale_and_transparent_images_are_stored_as_rgb_on_white():
    grey = _check(Candidate("g", image_bytes(1, mode="L"), "灰"))
    assert Image.open(io.BytesIO(grey.image_bytes)).mode == "RGB"
    clear = Image.new("RGBA", (30, 20), (0, 0, 0, 0))
    clear.putpixel((5, 5), (0, 0, 0, 255))
    buffer = io.BytesIO()
    clear.save(buffer, format="PNG")
    stored = Image.open(io.BytesIO(_check(Candidate("t", buffer.getvalue(), "透")).image_bytes))
    assert stored.mode == "RGB"
    assert stored.getpixel((0, 0)) == (255, 255, 255) and stored.getpixel((5, 5)) == (0, 0, 0)


def test_plain_rgb_png_bytes_are_kept_as_they_are():
    data = image_bytes(5)
    assert _check(Candidate("a", data, "原")).image_bytes == data
