"""What a file is, judged from its bytes: the size and type limits, and the file name kept.

The limits come from settings: `BRM_ATTACHMENT_MAX_BYTES` (bytes) and `BRM_ATTACHMENT_TYPES`
(names from `KNOWN_TYPES`). The type is sniffed from the content with the `filetype` package
(magic numbers; Office files are also opened as ZIP archives to tell Word, Excel and PowerPoint
from any other ZIP); a file with no magic number is text only if it decodes as UTF-8 and holds
no NUL byte. The client's Content-Type is never read, and the name's extension must agree with
the sniffed type, so an .exe renamed .pdf or an HTML page named .png is refused.
"""

from __future__ import annotations

import codecs
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

import filetype  # type: ignore[import-untyped]  # ships no type information
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from brm.core.errors import InputError

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

FIELD = "file"  # the form and API field every error is reported under
SNIFF_BYTES = 8192
CHUNK = 64 * 1024
MAX_NAME = 200
ZIP_TYPES = frozenset({"application/zip"})


@dataclass(frozen=True)
class FileType:
    """An accepted kind of file: its media type, the extensions its name may have, a label."""

    mime: str
    extensions: tuple[str, ...]
    label: StrOrPromise  # in the reader's language
    # For Office Open XML: the part every such archive holds (word/document.xml ...).
    ooxml_part: str = ""


_OOXML = "application/vnd.openxmlformats-officedocument"
KNOWN_TYPES: dict[str, FileType] = {
    "pdf": FileType("application/pdf", ("pdf",), _("PDF")),
    "png": FileType("image/png", ("png",), _("PNG image")),
    "jpeg": FileType("image/jpeg", ("jpg", "jpeg"), _("JPEG image")),
    "gif": FileType("image/gif", ("gif",), _("GIF image")),
    "webp": FileType("image/webp", ("webp",), _("WebP image")),
    "docx": FileType(
        f"{_OOXML}.wordprocessingml.document", ("docx",), _("Word document"), "word/document.xml"
    ),
    "xlsx": FileType(
        f"{_OOXML}.spreadsheetml.sheet", ("xlsx",), _("Excel workbook"), "xl/workbook.xml"
    ),
    "pptx": FileType(
        f"{_OOXML}.presentationml.presentation",
        ("pptx",),
        _("PowerPoint presentation"),
        "ppt/presentation.xml",
    ),
    "txt": FileType("text/plain", ("txt",), _("text file")),
    "csv": FileType("text/csv", ("csv",), _("CSV file")),
}
TEXT_MIMES = frozenset({"text/plain", "text/csv"})


def allowed_types() -> dict[str, FileType]:
    """The accepted types, by name, from `settings.BRM_ATTACHMENT_TYPES`.

    Raises ImproperlyConfigured for a name not in `KNOWN_TYPES` (a typo must not silently
    accept or refuse everything)."""
    names = [n.strip().lower() for n in settings.BRM_ATTACHMENT_TYPES if n.strip()]
    unknown = [n for n in names if n not in KNOWN_TYPES]
    if unknown:
        raise ImproperlyConfigured(
            f"BRM_ATTACHMENT_TYPES names unknown types {unknown}; known: {sorted(KNOWN_TYPES)}."
        )
    return {n: KNOWN_TYPES[n] for n in names}


def max_bytes() -> int:
    """The largest accepted file, in bytes (`settings.BRM_ATTACHMENT_MAX_BYTES`)."""
    return int(settings.BRM_ATTACHMENT_MAX_BYTES)


def accepted_summary() -> str:
    """For people: "PDF, PNG image, ... up to 20 MB"."""
    labels = ", ".join(str(t.label) for t in allowed_types().values())
    return gettext("%(types)s; up to %(size)s") % {
        "types": labels,
        "size": filesizeformat(max_bytes()),
    }


def accept_attribute() -> str:
    """The `accept` attribute of a file input: ".pdf,.png,..." (a hint; the server decides)."""
    return ",".join(f".{ext}" for t in allowed_types().values() for ext in t.extensions)


def clean_filename(name: str) -> str:
    """The name to keep and give back: the last path part, NFC, without control or format
    characters (a right-to-left override can make "gpj.exe" read "exe.jpg"), quotes or
    characters Windows forbids, spaces collapsed, at most 200 characters with the extension
    kept; "file" when nothing is left."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C" or ch.isspace()
    )
    name = "".join(ch for ch in name if ch not in '"<>:|?*')
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = f"{stem[: MAX_NAME - len(ext) - 1].rstrip()}.{ext}"
        else:
            name = name[:MAX_NAME].rstrip()
    return name or "file"


def _extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def _is_utf8_text(stream: IO[bytes]) -> bool:
    """Whether the whole stream decodes as UTF-8 and holds no NUL (read in chunks)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    stream.seek(0)
    try:
        while chunk := stream.read(CHUNK):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _ooxml_mime(stream: IO[bytes], types: dict[str, FileType]) -> str | None:
    """The Office Open XML type of a ZIP archive, by the parts it holds; None for another ZIP."""
    stream.seek(0)
    try:
        with zipfile.ZipFile(stream) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for known in KNOWN_TYPES.values():
        if known.ooxml_part and known.ooxml_part in names:
            return known.mime
    return None


def sniff(stream: IO[bytes], name: str) -> str:
    """The media type of `stream`'s content (e.g. "application/pdf"), whatever it is called;
    "application/octet-stream" when nothing is recognised. `name` only tells CSV from plain
    text, both of which have no magic number."""
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    kind = filetype.guess(head) if head else None
    mime = kind.mime if kind is not None else None
    if mime is not None and (mime in ZIP_TYPES or mime.startswith(_OOXML)):
        mime = _ooxml_mime(stream, KNOWN_TYPES) or "application/zip"
    if mime is None:
        if head and _is_utf8_text(stream):
            mime = "text/csv" if _extension(name) == "csv" else "text/plain"
        else:
            mime = "application/octet-stream"
    stream.seek(0)
    return mime


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check: its cleaned name, sniffed type and size in bytes."""

    filename: str
    content_type: str
    size: int


def check_upload(stream: IO[bytes], name: str, size: int) -> CheckedFile:
    """Judge an upload by its bytes. Raises `InputError("file", message)` (a 400 under `file`)
    when it is empty, larger than `max_bytes()`, of a type not in `allowed_types()`, or named
    with an extension its content does not have (a disguised file). Reads the stream, at most
    the whole file in 64 KiB chunks for text, and leaves it at the start."""
    filename = clean_filename(name)
    limit = max_bytes()
    if size <= 0:
        raise InputError(FIELD, gettext("The file is empty."))
    if size > limit:
        raise InputError(
            FIELD,
            gettext("The file is %(size)s; files may be at most %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
        )
    types = allowed_types()
    mime = sniff(stream, filename)
    accepted = next((t for t in types.values() if t.mime == mime), None)
    if accepted is None:
        raise InputError(
            FIELD,
            gettext(
                "This file's content (%(type)s) is not a type you may attach. Accepted: "
                "%(accepted)s."
            )
            % {"type": mime, "accepted": accepted_summary()},
        )
    ext = _extension(filename)
    if ext not in accepted.extensions:
        values = {"said": f".{ext}", "kind": accepted.label, "ext": accepted.extensions[0]}
        if ext:
            message = gettext(
                "The name says %(said)s but the content is a %(kind)s: the file may be "
                "disguised. Rename it .%(ext)s if that is what it is."
            )
        else:
            message = gettext(
                "The name has no extension but the content is a %(kind)s: the file may be "
                "disguised. Rename it .%(ext)s if that is what it is."
            )
        raise InputError(FIELD, message % values)
    return CheckedFile(filename=filename, content_type=mime, size=size)
