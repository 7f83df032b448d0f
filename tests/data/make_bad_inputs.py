"""Write the committed bad-input corpus (tests/data/bad_inputs/): small files only.

The big ones (a 200-megapixel image, a zip bomb, a 10,000-row manifest) are made by the test itself, so the
repository does not carry megabytes. Run from the repository root: ``python tests/data/make_bad_inputs.py``.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent / "bad_inputs"


def _line(text: str = "ok", size=(120, 32)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((6, 8), text, fill="black")
    return image


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def main() -> None:
    HERE.mkdir(exist_ok=True)
    write = lambda name, data: (HERE / name).write_bytes(data)  # noqa: E731

    # valid images the manifests point at
    for i in range(3):
        _line(f"line {i}", (120 + i, 32)).save(HERE / f"ok_{i}.png")
    good = _png_bytes(_line("good"))
    # broken images
    write("zero.png", b"")
    write("corrupt.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    write("truncated.png", good[: len(good) // 2])
    write("not_an_image.png", b"this is a text file with a .png name\n")
    jpeg = io.BytesIO()
    _line("jpeg").save(jpeg, format="JPEG")
    write("truncated.jpg", jpeg.getvalue()[: len(jpeg.getvalue()) // 3])
    _line("tiny", (5, 5)).save(HERE / "tiny.png")
    # a PNG header claiming 20,000 x 10,000 pixels (200 MP) on a few bytes: refused from the header
    ihdr = struct.pack(">IIBBBBB", 20_000, 10_000, 8, 2, 0, 0, 0)
    write("header_200mp.png", b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64))
          + _chunk(b"IEND", b""))
    # unusual but valid images: must be read, transparent ones on white
    clear = Image.new("RGBA", (120, 32), (0, 0, 0, 0))
    ImageDraw.Draw(clear).text((6, 8), "alpha", fill=(0, 0, 0, 255))
    clear.save(HERE / "transparent.png")
    clear.convert("LA").save(HERE / "gray_alpha.png")
    _line("palette").convert("P").save(HERE / "palette.png", transparency=0)
    _line("cmyk").convert("CMYK").save(HERE / "cmyk.jpg", format="JPEG")
    _line("sixteen").convert("I;16").save(HERE / "gray16.png")
    rotated = _line("exif")
    exif = rotated.getexif()
    exif[0x0112] = 6
    rotated.save(HERE / "exif_rotated.jpg", format="JPEG", exif=exif)
    _line("gif").save(HERE / "animated.gif", save_all=True, append_images=[_line("frame 2")])

    # manifests in the encodings Windows tools write
    lines = {"big5": "ok_0.png 發票號碼：二零二四年八月十五日\nok_1.png 臺灣銀行繁體中文測試\n",
             "shift_jis": "ok_0.png 請求書番号：二〇二四年八月\nok_1.png こんにちは世界、日本語のテキスト\n",
             "euc_kr": "ok_0.png 안녕하세요 세계\nok_1.png 한국어 텍스트 인식 테스트\n"}
    for encoding, text in lines.items():
        write(f"manifest_{encoding}.txt", text.encode(encoding))
    write("manifest_utf16_nobom.txt", "ok_0.png 无字节序标记\nok_1.png 第二行\n".encode("utf-16-le"))
    write("manifest_utf16_bom.txt", "ok_0.png 有字节序标记\nok_1.png 第二行\n".encode("utf-16"))
    write("manifest_garbage.txt", bytes(range(128, 256)) * 8 + b"\x00\x01\x02")
    write("manifest_missing_images.txt", "gone_0.png 不存在\ngone_1.png 也不存在\n".encode())
    write("manifest_paths_only.txt", b"ok_0.png\nok_1.png\n")
    write("manifest_escape.txt", "../../etc/passwd 越界\n/etc/hostname 绝对路径\n".encode())
    # tables
    write("empty.csv", b"")
    write("header_only.csv", b"file_name,text\n")
    write("wrong_columns.csv", b"foo,bar,baz\n1,2,3\n")
    write("bad_quotes.csv", b'file_name,text\nok_0.png,"never closed\nok_1.png,fine\n')
    write("bad.jsonl", b'{"file_name": "ok_0.png", "text": "fine"}\n{not json at all\n')
    write("wrong_types.jsonl", (json.dumps({"file_name": 5, "text": ["a", "list"]}) + "\n").encode())
    write("array.json", b'[1, 2, 3]')
    # archives
    with zipfile.ZipFile(HERE / "zip_slip.zip", "w") as archive:
        archive.writestr("../../evil.png", good)
        archive.writestr("../../evil.txt", "越界的文件")
        archive.writestr("/abs.png", good)
    write("not_a_zip.zip", b"PK\x03\x04 but not really a zip file")
    with zipfile.ZipFile(HERE / "empty.zip", "w"):
        pass
    # parquet files that are not datasets of ours
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"foo": [1, 2], "bar": ["a", "b"]}), HERE / "wrong_columns.parquet")
    write("corrupt.parquet", b"PAR1" + b"\x00" * 64 + b"PAR1")


if __name__ == "__main__":
    main()
