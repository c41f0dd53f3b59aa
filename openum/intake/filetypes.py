"""Attachment types recognised by their bytes, not their names: the one list of what is allowed."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from openum.errors import DomainError

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
TEXT = "text/plain"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DICOM = "application/dicom"

# What a provider may send: clinical notes, scans and images, letters, imaging objects.
ALLOWED: frozenset[str] = frozenset({PDF, PNG, JPEG, TIFF, TEXT, DOCX, DICOM})

# Names senders use for the same thing; unknown names are compared as written.
ALIASES: dict[str, str] = {
    "application/x-pdf": PDF, "image/jpg": JPEG, "image/pjpeg": JPEG, "image/tif": TIFF,
    "image/x-tiff": TIFF, "application/dicom+octet-stream": DICOM,
}
# Declarations that say nothing: the content alone decides.
UNDECLARED: frozenset[str] = frozenset({"", "application/octet-stream", "binary/octet-stream"})

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"MZ", "application/x-msdownload"),
    (b"\x7fELF", "application/x-elf"),
    (b"\xcf\xfa\xed\xfe", "application/x-mach-binary"),
    (b"\xfe\xed\xfa\xcf", "application/x-mach-binary"),
    (b"\xca\xfe\xba\xbe", "application/java-vm"),
    (b"#!", "text/x-shellscript"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"Rar!", "application/vnd.rar"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"\x1f\x8b", "application/gzip"),
)
_MARKUP = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<iframe", b"<body")


class AttachmentRefused(DomainError):
    """An attachment's bytes are not an allowed type, or not the type it was declared as."""

    code = "attachment_type_refused"
    http_status = 415


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:  # names only: nothing is decompressed
            names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return "application/zip"
    if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
        if any(n.lower().endswith(".bin") and "vbaproject" in n.lower() for n in names):
            return "application/vnd.ms-word.document.macroEnabled.12"
        return DOCX
    return "application/zip"


def _text_kind(data: bytes) -> str | None:
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text) or "\x7f" in text:
        return None
    head = body[:1024].lstrip().lower()
    if any(head.startswith(m) for m in _MARKUP) or b"<script" in body[:65536].lower():
        return "text/html"  # would run in a reviewer's browser
    if head.startswith(b"<?xml"):
        return "application/xml"
    return TEXT


def sniff(data: bytes) -> str | None:
    """The media type the bytes are, when recognised; None when they are nothing we know."""
    if not data:
        return None
    if data.lstrip(b"\xef\xbb\xbf \t\r\n")[:5] == b"%PDF-":
        return PDF
    if len(data) >= 132 and data[128:132] == b"DICM":
        return DICOM
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return _text_kind(data)


def normalise(content_type: str | None) -> str:
    """A declared media type without parameters, lower-cased, aliases resolved."""
    bare = (content_type or "").split(";", 1)[0].strip().lower()
    return ALIASES.get(bare, bare)


def check(declared_content_type: str | None, data: bytes, *, name: str,
          loc: list[Any] | None = None) -> str:
    """The allowed type of `data`; refuses content that is not allowed or not what was declared."""
    where = {"loc": loc or ["attachments"]}
    label = f"attachment {name!r}"
    if not data:
        raise AttachmentRefused(f"{label} is empty", details=[{**where, "msg": "empty"}])
    found = sniff(data)
    if found not in ALLOWED:
        what = f"its content is {found}" if found else "its content is not a recognised type"
        raise AttachmentRefused(
            f"{label} is refused: {what}; allowed types are {', '.join(sorted(ALLOWED))}",
            details=[{**where, "msg": f"content type {found or 'unknown'} is not allowed"}])
    declared = normalise(declared_content_type)
    if declared not in UNDECLARED and declared != found:
        raise AttachmentRefused(
            f"{label} is declared as {declared} but its content is {found}",
            details=[{**where, "msg": f"declared {declared}, content is {found}"}])
    return found
