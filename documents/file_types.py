"""Which files may be uploaded: the formats OpenAI's ``file_search`` supports,
judged by the name's extension AND the content, never by the client's
``Content-Type`` alone.

Source: OpenAI's docs, "File search — supported files" (the extension and MIME
type list; text files must be UTF-8, UTF-16 or ASCII). Binary formats are
recognised by their signature: PDF (``%PDF-``), the OOXML formats (a ZIP whose
parts include ``word/document.xml`` or ``ppt/presentation.xml``) and the legacy
Word format (an OLE2 compound file). Every other allowed format is text: it
must decode as UTF-8 (or UTF-16 with a byte-order mark) and contain no NUL
character; JSON must also parse.
"""

import codecs
import json
import zipfile
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class FileType:
    """An allowed format: its canonical MIME type and how its content is checked."""

    content_type: str
    kind: str  # "text", "json", "pdf", "docx", "pptx", "doc"


TEXT = "text"

ALLOWED_TYPES: dict[str, FileType] = {
    ".pdf": FileType("application/pdf", "pdf"),
    ".docx": FileType(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
    ),
    ".pptx": FileType(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"
    ),
    ".doc": FileType("application/msword", "doc"),
    ".txt": FileType("text/plain", TEXT),
    ".md": FileType("text/markdown", TEXT),
    ".csv": FileType("text/csv", TEXT),
    ".json": FileType("application/json", "json"),
    ".html": FileType("text/html", TEXT),
    ".htm": FileType("text/html", TEXT),
    ".tex": FileType("text/x-tex", TEXT),
    ".css": FileType("text/css", TEXT),
    ".js": FileType("text/javascript", TEXT),
    ".ts": FileType("application/typescript", TEXT),
    ".py": FileType("text/x-python", TEXT),
    ".rb": FileType("text/x-ruby", TEXT),
    ".php": FileType("text/x-php", TEXT),
    ".sh": FileType("application/x-sh", TEXT),
    ".c": FileType("text/x-c", TEXT),
    ".cpp": FileType("text/x-c++", TEXT),
    ".cs": FileType("text/x-csharp", TEXT),
    ".go": FileType("text/x-golang", TEXT),
    ".java": FileType("text/x-java", TEXT),
}

_OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OOXML_MAIN_PART = {"docx": "word/document.xml", "pptx": "ppt/presentation.xml"}


class FileTypeNotAllowed(ValueError):
    """The file's name or content is not one of ALLOWED_TYPES."""


def _extension(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def _is_text(data: bytes) -> bool:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return False
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return False
    return "\x00" not in text


def file_type_detect(*, filename: str, file: IO[bytes]) -> FileType:
    """The allowed type of ``file`` named ``filename``, checked against its content.

    Reads ``file`` (seekable; left at position 0). Text formats are read whole, so
    call this only after the size limit was checked.

    Raises: FileTypeNotAllowed naming what is wrong (the extension is not allowed,
    or the content is not what the extension says).
    """
    extension = _extension(filename)
    file_type = ALLOWED_TYPES.get(extension)
    if file_type is None:
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise FileTypeNotAllowed(
            f"Files of type {extension or '(no extension)'!r} cannot be searched; "
            f"allowed: {allowed}."
        )
    file.seek(0)
    try:
        if file_type.kind == "pdf":
            ok = file.read(1024).lstrip(b"\r\n\t \x0c").startswith(b"%PDF-")
        elif file_type.kind == "doc":
            ok = file.read(len(_OLE2_SIGNATURE)) == _OLE2_SIGNATURE
        elif file_type.kind in _OOXML_MAIN_PART:
            try:
                with zipfile.ZipFile(file) as archive:
                    ok = _OOXML_MAIN_PART[file_type.kind] in archive.namelist()
            except (zipfile.BadZipFile, OSError, ValueError):
                ok = False
        else:
            data = file.read()
            ok = _is_text(data)
            if ok and file_type.kind == "json":
                try:
                    json.loads(data)
                except ValueError:
                    ok = False
    finally:
        file.seek(0)
    if not ok:
        raise FileTypeNotAllowed(
            f"The content of {filename!r} is not a valid {extension} file "
            f"({file_type.content_type})."
        )
    return file_type
