"""Attachment bytes, stored once per content hash under the storage directory."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path


class AttachmentStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> tuple[str, str]:
        """Write the bytes durably; return (sha256, storage key)."""
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}"
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Unique per writer: two threads storing the same document must not share a temp file.
            tmp = path.with_suffix(f".tmp{os.getpid()}-{uuid.uuid4().hex}")
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        return digest, key

    def get(self, key: str) -> bytes:
        return (self.root / key).read_bytes()
