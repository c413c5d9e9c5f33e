"""The one font setting for every PDF (ADR 0081): DejaVu Sans, which has the Polish letters,
from the folder in `CUS_FONT_DIR` (the Debian/Ubuntu fonts-dejavu folder by default).

`CUS_PDF_FONT_DIR`, the name cases and partners read before, is still read when `CUS_FONT_DIR`
is not set, with a warning; it is deprecated.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

FONT_DIR_ENV = "CUS_FONT_DIR"
DEPRECATED_FONT_DIR_ENV = "CUS_PDF_FONT_DIR"
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT = "DejaVuSans"
FONT_REGULAR = "DejaVuSans.ttf"
FONT_BOLD = "DejaVuSans-Bold.ttf"


def font_dir() -> Path:
    """The folder the fonts are read from (read at each call, so a changed setting applies)."""
    configured = os.environ.get(FONT_DIR_ENV)
    if not configured:
        configured = os.environ.get(DEPRECATED_FONT_DIR_ENV)
        if configured:
            log.warning("%s is deprecated, set %s instead", DEPRECATED_FONT_DIR_ENV, FONT_DIR_ENV)
    return Path(configured or DEFAULT_FONT_DIR)


def font_paths() -> tuple[Path, Path]:
    """The regular and the bold font file; a missing one is named in the error."""
    folder = font_dir()
    paths = (folder / FONT_REGULAR, folder / FONT_BOLD)
    for path in paths:
        if not path.is_file():
            raise RuntimeError(
                f"Brak pliku czcionki potrzebnego do utworzenia PDF: {path} "
                f"(zainstaluj pakiet fonts-dejavu albo wskaż katalog zmienną {FONT_DIR_ENV})"
            )
    return paths
