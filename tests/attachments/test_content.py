"""What a file is, judged from its bytes: sizes, types, disguised names, kept names."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ImproperlyConfigured

from brm.core.attachments.content import check_upload, clean_filename, sniff
from brm.core.errors import InputError
from tests.attachments.conftest import CSV, EXE, HTML, JPEG, PDF, PNG, office, plain_zip

DOCX = office("word/document.xml")
XLSX = office("xl/workbook.xml")
PPTX = office("ppt/presentation.xml")


def check(name: str, data: bytes):
    return check_upload(io.BytesIO(data), name, len(data))


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("minutes.pdf", PDF, "application/pdf"),
        ("chart.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        (
            "case.docx",
            DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("figures.xlsx", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "pack.pptx",
            PPTX,
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("notes.txt", "Grüße, ok\n".encode(), "text/plain"),
        ("figures.csv", CSV, "text/csv"),
    ],
)
def test_it_accepts_each_allowed_type_by_its_content(name, data, mime):
    assert check(name, data).content_type == mime


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("invoice.pdf", EXE, "application/x-msdownload"),  # a program renamed .pdf
        ("archive.docx", plain_zip(), "application/zip"),  # any ZIP is no Word document
        ("latin1.txt", "caf\xe9".encode("latin-1"), "application/octet-stream"),  # not UTF-8
        ("nul.csv", b"a,b\n1,\x002\n", "application/octet-stream"),  # NUL: binary, not text
    ],
)
def test_it_refuses_content_of_a_type_not_allowed(name, data, says):
    with pytest.raises(InputError) as refused:
        check(name, data)
    assert refused.value.field == "file"
    assert says in refused.value.message


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("logo.png", HTML),  # a page that would run script if served as HTML
        ("minutes.png", PDF),
        ("report.pdf", DOCX),
        ("noextension", PDF),
    ],
)
def test_it_refuses_a_name_that_disguises_the_content(name, data):
    with pytest.raises(InputError) as refused:
        check(name, data)
    assert "disguised" in refused.value.message


def test_it_refuses_a_file_over_the_limit(settings):
    settings.BRM_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(InputError) as refused:
        check("big.pdf", PDF + b"0" * 1024)
    assert refused.value.message == "The file is 1.1\xa0KB; files may be at most 1.0\xa0KB."


def test_it_refuses_an_empty_file():
    with pytest.raises(InputError, match="empty"):
        check("empty.pdf", b"")


def test_it_takes_the_allowed_types_from_settings(settings):
    settings.BRM_ATTACHMENT_TYPES = ["pdf"]
    assert check("a.pdf", PDF).content_type == "application/pdf"
    with pytest.raises(InputError, match="not a type you may attach"):
        check("chart.png", PNG)


def test_it_fails_loudly_on_an_unknown_type_name(settings):
    settings.BRM_ATTACHMENT_TYPES = ["pdf", "exe"]
    with pytest.raises(ImproperlyConfigured, match="exe"):
        check("a.pdf", PDF)


def test_it_sniffs_text_across_chunk_boundaries():
    # A multi-byte character split between two 64 KiB reads is still UTF-8.
    data = b"a" * (64 * 1024 - 1) + "é".encode() + b"\n"
    assert sniff(io.BytesIO(data), "long.txt") == "text/plain"


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("minutes.pdf", "minutes.pdf"),
        ("C:\\Users\\bianca\\Desktop\\Q3 pack.pptx", "Q3 pack.pptx"),
        ("../../etc/passwd", "passwd"),
        ("report\u202efdp.exe", "reportfdp.exe"),  # a right-to-left override is dropped
        ('a"b<c>d|e?.pdf', "abcde.pdf"),
        ("  spaced \t out  .pdf", "spaced out .pdf"),
        ("...", "file"),
        ("x" * 300 + ".docx", "x" * 195 + ".docx"),
    ],
)
def test_it_keeps_a_clean_original_name(raw, kept):
    assert clean_filename(raw) == kept
