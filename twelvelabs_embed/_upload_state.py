"""Where a resumable upload remembers itself: a small JSON file per source file in the
user cache directory (``platformdirs.user_cache_dir("twelvelabs-embed")/uploads/``),
never beside the source (which may be read-only or shared).

The file is named by a hash of the API origin, the source's absolute path, size and
modification time, so a changed file never resumes an old session. It holds the upload
id and the ETags of chunks already PUT; the platform's ``get_status`` still decides what
is done (a record is a hint, not the truth). Written atomically (rename), so a crash
mid-write leaves the previous record.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any

import attrs
import orjson


def default_state_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("twelvelabs-embed")) / "uploads"


@attrs.define
class UploadRecord:
    upload_id: str
    asset_id: str
    chunk_size: int
    total_chunks: int
    etags: dict[int, str] = attrs.field(factory=dict)


def record_key(origin: str, path: Path, size: int, mtime_ns: int) -> str:
    text = f"{origin}\n{path.resolve()}\n{size}\n{mtime_ns}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


class UploadStateFile:
    """One source file's record (blocking I/O: call it off the event loop)."""

    def __init__(self, directory: Path, key: str) -> None:
        self.path = directory / f"{key}.json"

    def load(self) -> UploadRecord | None:
        try:
            data: Any = orjson.loads(self.path.read_bytes())
            return UploadRecord(
                str(data["upload_id"]),
                str(data["asset_id"]),
                int(data["chunk_size"]),
                int(data["total_chunks"]),
                {int(k): str(v) for k, v in dict(data.get("etags", {})).items()},
            )
        except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
            return None

    def save(self, record: UploadRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = attrs.asdict(record)
        data["etags"] = {str(k): v for k, v in record.etags.items()}
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(data))
        os.replace(tmp, self.path)

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
