"""Find CJK fonts installed from Debian packages (fontconfig first, known paths second)."""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ocr_space.errors import ConfigError

#: Debian packages and the files they install; the Makefile installs the first three.
KNOWN_CJK_FONTS = {
    "fonts-wqy-microhei": "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "fonts-wqy-zenhei": "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "fonts-arphic-ukai": "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "fonts-noto-cjk": "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
}


def find_cjk_fonts() -> list[Path]:
    """All CJK font files on this machine, known Debian paths first, de-duplicated, sorted for stable seeds."""
    found = {Path(p) for p in KNOWN_CJK_FONTS.values() if Path(p).is_file()}
    if shutil.which("fc-list"):
        try:
            listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20,
                                     check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            listing = ""
        for line in listing.splitlines():
            path = Path(line.split(":", 1)[0].strip())
            if path.suffix.lower() in {".ttf", ".ttc", ".otf", ".otc"} and path.is_file():
                found.add(path)
    return sorted(found)


def require_cjk_fonts() -> list[Path]:
    """Like :func:`find_cjk_fonts`, but an empty answer is an error that says what to install."""
    fonts = find_cjk_fonts()
    if not fonts:
        raise ConfigError("No CJK font found. Install one, e.g. `apt-get install fonts-wqy-microhei "
                          "fonts-arphic-ukai` (make does this where apt is available), or pass font files.")
    return fonts


def resolve_fonts(specs: Sequence[str | Path] | None = None) -> list[Path]:
    """Font files from paths or short names (``ukai``, ``wqy-microhei``, a package name); all CJK fonts if none.

    >>> [p.name for p in resolve_fonts(["ukai", "wqy-microhei"])]  # doctest: +SKIP
    ['ukai.ttc', 'wqy-microhei.ttc']
    """
    if not specs:
        return require_cjk_fonts()
    installed = find_cjk_fonts()
    resolved: list[Path] = []
    for spec in specs:
        spec = str(spec).strip()
        path = Path(spec).expanduser()
        if path.is_file():
            match = path
        elif spec in KNOWN_CJK_FONTS and Path(KNOWN_CJK_FONTS[spec]).is_file():
            match = Path(KNOWN_CJK_FONTS[spec])
        else:
            matches = [font for font in installed if spec.lower() in font.stem.lower()]
            if len(matches) != 1:
                names = ", ".join(font.stem for font in installed) or "none installed"
                what = "matches several fonts" if matches else "is neither a font file nor an installed font"
                raise ConfigError(f"Font {spec!r} {what}; installed CJK fonts: {names}.")
            match = matches[0]
        if match not in resolved:
            resolved.append(match)
    return resolved


@functools.lru_cache(maxsize=32)
def font_characters(font_path: str | Path) -> frozenset[str]:
    """Every character the font (first face of a collection) has a glyph for, from its cmap table.

    Drawing a character the font lacks yields a blank box, and a synthetic sample whose
    image shows boxes while its label shows characters would teach the model nonsense.
    """
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path), fontNumber=0, lazy=True) as font:
        return frozenset(chr(code) for code in font.getBestCmap())


def missing_characters(text: str, font_path: str | Path) -> str:
    """The characters of ``text`` (whitespace aside) that ``font_path`` cannot draw, in order, once each."""
    covered = font_characters(str(font_path))
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and ch not in covered))
