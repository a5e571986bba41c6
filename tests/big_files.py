"""Large test inputs that cost no disk: a real video followed by a sparse hole."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def sparse_padded(video: Path, dest: Path, size: int) -> Path:
    """``video``'s bytes, then zeros up to ``size`` bytes as a hole (no blocks used).
    Players and probes read the video and ignore the zeros after its last box."""
    shutil.copyfile(video, dest)
    with dest.open("r+b") as f:
        f.truncate(size)
    return dest


def sha256_of(path: Path, piece: int = 8 << 20) -> str:
    """Hash a file in pieces (a sparse file's hole is read as zeros, never held whole)."""
    digest = hashlib.sha256()
    with path.open("rb", buffering=0) as f:
        while block := f.read(piece):
            digest.update(block)
    return digest.hexdigest()


def allocated_bytes(path: Path) -> int:
    """Bytes the file really occupies on disk (a hole occupies none)."""
    return os.stat(path).st_blocks * 512
