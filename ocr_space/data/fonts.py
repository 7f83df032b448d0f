"""Find CJK fonts installed from Debian packages (fontconfig first, known paths second)."""

from __future__ import annotations

import shutil
import subprocess
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
    fonts = find_cjk_fonts()
    if not fonts:
        raise ConfigError("No CJK font found. Install one, e.g. `apt-get install fonts-wqy-microhei "
                          "fonts-arphic-ukai` (make does this where apt is available), or pass font files.")
    return fonts
