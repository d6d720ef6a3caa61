"""Small, valid PDFs with a text layer, for previews and imports in tests."""

from __future__ import annotations


def one_page_pdf(text: str) -> bytes:
    """Build a PDF whose single page shows `text` (ASCII) in Helvetica."""
    safe = (
        text.encode("ascii", "replace").decode().replace("\\", "").replace("(", "").replace(")", "")
    )
    stream = f"BT /F1 24 Tf 72 720 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    return _document(objects)


def text_layer_pdf(lines: list[str], per_page: int = 50) -> bytes:
    """Build a PDF whose pages show `lines` (any Unicode) one under another, as a word
    processor prints them: a Type0 font with a ToUnicode map, so readers extract the text."""
    chars = sorted({ch for line in lines for ch in line})
    cid = {ch: index + 1 for index, ch in enumerate(chars)}
    pages = [lines[i : i + per_page] for i in range(0, len(lines), per_page)] or [[]]
    first_page = 7  # objects 1-6: catalog, pages, font, CID font, ToUnicode, descriptor
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (
            b" ".join(b"%d 0 R" % (first_page + 2 * n) for n in range(len(pages))),
            len(pages),
        ),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /DejaVuSans /Encoding /Identity-H "
        b"/DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /DejaVuSans /DW 500 "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        b"/FontDescriptor 6 0 R >>",
        _stream(_to_unicode(cid)),
        b"<< /Type /FontDescriptor /FontName /DejaVuSans /Flags 32 /FontBBox [0 -200 1000 900] "
        b"/ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>",
    ]
    for page_lines in pages:
        shown = b"".join(
            b"1 0 0 1 56 %d Tm <%s> Tj\n"
            % (800 - 15 * row, "".join(f"{cid[ch]:04X}" for ch in line).encode())
            for row, line in enumerate(page_lines)
        )
        contents = len(objects) + 2
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % contents
        )
        objects.append(_stream(b"BT /F1 10 Tf\n" + shown + b"ET"))
    return _document(objects)


def _to_unicode(cid: dict[str, int]) -> bytes:
    pairs = "".join(f"<{n:04X}> <{ord(ch):04X}>\n" for ch, n in cid.items() if ord(ch) < 0x10000)
    count = sum(1 for ch in cid if ord(ch) < 0x10000)
    return (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{count} beginbfchar\n{pairs}endbfchar\n"
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _document(objects: list[bytes]) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
