"""Reading a document file into text and tables, in a worker process under OS limits.

This module stands alone (the standard library, python-docx, pypdf and openpyxl): the server
runs it as a script in a fresh process (`workflows.entry.documents`), which gets at most
`MEMORY_BYTES` of memory and `CPU_SECONDS` of processor time and is killed at its wall-clock
deadline, so a hostile or broken file can cost a few seconds but never the server. The
request is one line of JSON (file name and size) followed by the file's bytes on stdin; the
answer is one JSON object on stdout: `{"text", "tables"}` or `{"error": code, "detail"}`.

Zip-based files (.docx, .xlsx) are checked before any XML is read: the sum of the sizes
their members declare, how many there are, and how much each expands.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from typing import Any

MEMORY_BYTES = 768 * 1024 * 1024
CPU_SECONDS = 20
MAX_UNZIPPED = 60 * 1024 * 1024  # every member of a .docx or .xlsx, as declared
MAX_MEMBERS = 2_000
MAX_RATIO = 200  # a member expanding more than this is a bomb, not a document
MAX_PAGES = 300
MAX_ROWS = 5_000
MAX_TEXT = 2_000_000
_OPENER = re.compile(
    r"^(?:Căn cứ|Thực hiện|Kính gửi|Nơi nhận|Theo đề nghị|Xét đề nghị|Để|Trên đây)\b"
)
_MARKER = re.compile(r"^(?:[IVX]+[.)]|\d{1,2}(?:\.\d{1,2})*[.)]?|[a-zđ][.)]|[-–+•])\s")


class Refused(Exception):
    """The file cannot be read; `code` says why."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code, self.detail = code, detail


def read(name: str, data: bytes) -> dict[str, Any]:
    """Return the text and the tables of a document, by its file name's extension."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    readers = {"docx": _docx, "pdf": _pdf, "xlsx": _xlsx, "txt": _txt, "text": _txt}
    reader = readers.get(extension)
    if reader is None:
        raise Refused("unsupported", extension)
    text, tables = reader(data)
    if len(text) > MAX_TEXT:
        raise Refused("too_long", str(len(text)))
    return {"text": text, "tables": tables}


def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise Refused("corrupt", str(exc)) from exc
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise Refused("zip_bomb", f"{len(members)} members")
    total = sum(member.file_size for member in members)
    if total > MAX_UNZIPPED:
        raise Refused("zip_bomb", f"{total} bytes unpacked")
    for member in members:
        if member.file_size > MAX_RATIO * max(member.compress_size, 1024):
            raise Refused("zip_bomb", f"{member.filename} expands {member.file_size} bytes")
    return archive


def _docx(data: bytes) -> tuple[str, list[list[list[str]]]]:
    archive = _check_zip(data)
    if "word/document.xml" not in archive.namelist():
        raise Refused("corrupt", "no word/document.xml")
    import docx  # imported here: the worker loads only the reader it needs

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds of error on a broken file
        raise Refused("corrupt", str(exc)) from exc
    numbering = _Numbering(document)
    lines: list[str] = []
    tables: list[list[list[str]]] = []
    for kind, block in _blocks(document):
        if kind == "p":
            text = numbering.prefix(block) + block.text.strip()
            if text.strip():
                lines.append(text)
        else:
            rows = _table_rows(block)
            tables.append(rows)
            lines += [cell for row in rows for cell in row if cell]
    return "\n".join(lines), tables


def _blocks(document: Any) -> Iterator[tuple[str, Any]]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            yield "p", Paragraph(element, document)
        elif tag == "tbl":
            yield "tbl", Table(element, document)


def _table_rows(table: Any) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell repeats in every column it spans
                continue
            seen.add(id(cell._tc))
            cells.append("\n".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
        rows.append(cells)
    return rows


class _Numbering:
    """Word's automatic numbering: the "1.", "a)", "-" a paragraph shows but its text lacks."""

    FORMATS = {"decimal": "{n}.", "lowerLetter": "{a})", "upperRoman": "{r}.", "bullet": "-"}

    def __init__(self, document: Any) -> None:
        self.formats: dict[tuple[str, str], str] = {}
        self.counters: dict[tuple[str, str], int] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
        w = "{" + ns["w"] + "}"
        abstract = {
            a.get(w + "abstractNumId"): {
                lvl.get(w + "ilvl"): (lvl.find("w:numFmt", ns).get(w + "val") or "")
                for lvl in a.findall("w:lvl", ns)
                if lvl.find("w:numFmt", ns) is not None
            }
            for a in root.findall("w:abstractNum", ns)
        }
        for num in root.findall("w:num", ns):
            ref = num.find("w:abstractNumId", ns)
            levels = abstract.get(ref.get(w + "val") if ref is not None else None, {})
            for level, fmt in levels.items():
                self.formats[(num.get(w + "numId"), level)] = fmt

    def prefix(self, paragraph: Any) -> str:
        """Return the marker Word would show before this paragraph, and a space, or ''."""
        numbered = _numbering_of(paragraph)
        if numbered is None or numbered.numId is None or _MARKER.match(paragraph.text.strip()):
            return ""
        num = str(numbered.numId.val)
        level = str(numbered.ilvl.val) if numbered.ilvl is not None else "0"
        fmt = self.FORMATS.get(self.formats.get((num, level), "decimal"))
        if fmt is None:
            return ""
        count = self.counters.get((num, level), 0) + 1
        self.counters[(num, level)] = count
        for key in [k for k in self.counters if k[0] == num and k[1] > level]:
            del self.counters[key]  # a deeper list starts again under a new item
        return (
            fmt.format(n=count, a="abcdeghiklmnopqrstuvxy"[(count - 1) % 22], r=_roman(count)) + " "
        )


def _numbering_of(paragraph: Any) -> Any:
    """The paragraph's own numbering, else the one its style (or the style's base) gives."""
    props = paragraph._p.pPr
    if props is not None and props.numPr is not None:
        return props.numPr
    style = paragraph.style
    while style is not None:
        style_props = style.element.pPr
        if style_props is not None and style_props.numPr is not None:
            return style_props.numPr
        style = style.base_style
    return None


def _roman(n: int) -> str:
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    out = ""
    for value, letters in numerals:
        while n >= value:
            out, n = out + letters, n - value
    return out


def _pdf(data: bytes) -> tuple[str, list[list[list[str]]]]:
    import pypdf

    try:
        document = pypdf.PdfReader(io.BytesIO(data))
        if document.is_encrypted:
            raise Refused("encrypted")
        if len(document.pages) > MAX_PAGES:
            raise Refused("too_many_pages", str(len(document.pages)))
        pages = [page.extract_text() or "" for page in document.pages]
    except Refused:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a broken file
        raise Refused("corrupt", str(exc)) from exc
    text = "\n".join(pages)
    if sum(ch.isalpha() for ch in text) < 20:
        raise Refused("no_text", f"{len(pages)} pages")
    return unwrap(text), []


def unwrap(text: str) -> str:
    """Join the lines a PDF broke inside a paragraph: a line continues the one before when
    that physical line was long (a paragraph's last line is short) and ended without a stop,
    and it opens no item, heading or paragraph of its own ("Căn cứ ...", "Nơi nhận:")."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lengths = sorted(len(line) for line in lines)
    full = lengths[int(len(lengths) * 0.8)] if lengths else 0
    out: list[str] = []
    last = ""  # the previous physical line, as printed
    for line in lines:
        wrapped = (
            out
            and len(last) >= 0.6 * full
            and not last.endswith((".", ";", ":", "!", "?"))
            and not last.isupper()
            and not _MARKER.match(line)
            and not _OPENER.match(line)
            and not line.isupper()
        )
        if wrapped:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
        last = line
    return "\n".join(out)


def _xlsx(data: bytes) -> tuple[str, list[list[list[str]]]]:
    _check_zip(data)
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of error on a broken file
        raise Refused("corrupt", str(exc)) from exc
    tables = []
    for sheet in book.worksheets:
        rows: list[list[str]] = []
        for row in sheet.iter_rows(values_only=True):
            if len(rows) >= MAX_ROWS:
                raise Refused("too_many_rows", str(MAX_ROWS))
            cells = [_cell(value) for value in row[:20]]
            if any(cells):
                rows.append(cells)
        tables.append(rows)
    book.close()
    return "", tables


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return str(value.strftime("%d/%m/%Y"))
    return str(value).strip()


def _txt(data: bytes) -> tuple[str, list[list[list[str]]]]:
    return decode(data), []


def decode(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), UTF-16, else Windows-1258."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.count(b"\x00") > len(data) // 4:
        return data.decode("utf-16-le" if data[1:2] == b"\x00" else "utf-16-be", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1258", errors="replace")


def _limit_resources() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def main() -> int:
    """Read one request from stdin and write one answer to stdout."""
    _limit_resources()
    request = json.loads(sys.stdin.buffer.readline())
    data = sys.stdin.buffer.read(int(request["size"]) + 1)
    try:
        answer: dict[str, Any] = read(str(request["name"]), data)
    except Refused as refused:
        answer = {"error": refused.code, "detail": refused.detail[:500]}
    except MemoryError:
        answer = {"error": "memory", "detail": ""}
    sys.stdout.write(json.dumps(answer, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
