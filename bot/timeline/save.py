"""Writing the timeline picture to a file: whole or not at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from storage.errors import FactbotError


def save_png(data: bytes, path: Path) -> None:
    """Write the picture whole or not at all (a temporary file renamed into place)."""
    if path.suffix.lower() != ".png":
        raise FactbotError(f"{path} must end in .png.")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FactbotError(f"There is no folder {folder} to write {path.name} in.")
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)  # mkstemp's 0600 is for the temporary file, not the picture
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
