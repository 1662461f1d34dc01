"""In-memory file storage behind file_id, getFile and the /file download route."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

_FOLDERS = {
    "document": "documents",
    "photo": "photos",
    "voice": "voice",
    "sticker": "stickers",
}


@dataclass
class StoredFile:
    """One file Telegram would know by file_id."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    url: str | None = None

    @property
    def size(self) -> int:
        """Size in bytes (0 for files only known by URL)."""
        return len(self.data)

    def as_document(self) -> dict[str, Any]:
        """The Document object of a message."""
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            doc["file_name"] = self.file_name
        if self.mime_type:
            doc["mime_type"] = self.mime_type
        return doc

    def as_photo(self) -> list[dict[str, Any]]:
        """The photo field of a message: one PhotoSize (real Telegram sends several)."""
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": 320,
                "height": 320,
                "file_size": self.size,
            }
        ]

    def as_file(self) -> dict[str, Any]:
        """The File object getFile answers."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


class FileStore:
    """Files by file_id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = 0

    def add(
        self,
        kind: str,
        data: bytes,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        """Store bytes (or a URL) and mint Telegram-looking identifiers for them."""
        self._counter += 1
        n = self._counter
        ext = ""
        if file_name and "." in file_name:
            ext = file_name[file_name.rindex(".") :]
        elif mime_type:
            ext = mimetypes.guess_extension(mime_type) or ""
        elif kind == "photo":
            ext = ".jpg"
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        record = StoredFile(
            file_id=f"{kind[:2].upper()}ACAgQAAxkBAAI{n:08d}",
            file_unique_id=f"AgAD{n:06d}",
            kind=kind,
            data=data,
            file_path=f"{_FOLDERS.get(kind, 'files')}/file_{n}{ext}",
            file_name=file_name,
            mime_type=mime_type,
            url=url,
        )
        self._by_id[record.file_id] = record
        self._by_path[record.file_path] = record
        return record

    def get(self, file_id: str) -> StoredFile | None:
        """Look a file up by file_id."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """Look a file up by the path getFile handed out."""
        return self._by_path.get(file_path)
