"""A streaming PDF writer for large exported tables (the 50,000-row report exports).

WeasyPrint lays out the whole document in memory (about 200 KB and 8 ms per table row), so a large table is
set here instead, a page at a time: each row's cells are wrapped to their column widths with the font's own
advance widths, a page is written to the file (Flate-compressed) as soon as it is full, and only the page
objects' numbers stay in memory. Every page carries the report's page header (title on the left, who exported
it and when on the right), the table's header row, and "第 X 页 / 共 Y 页" at the bottom right: the footers are
small separate content streams written once the page count is known (a page's /Contents is an array).

The text is Noto Sans CJK SC (the font the WeasyPrint templates use), embedded as a subset of the glyphs used
(fontTools, glyph ids kept, as WeasyPrint does), with a ToUnicode map so the text can be searched and copied.
Statements and other documents stay on WeasyPrint templates."""
import zlib
from functools import lru_cache
from pathlib import Path

FONT_FILE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
FONT_INDEX = 2  # Noto Sans CJK SC in the collection
FONT_NAME = "SYEXPT+NotoSansCJKsc-Regular"

PAGE_W, PAGE_H = 841.89, 595.28  # A4 landscape, points
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 34.0, 45.0, 45.0
BODY, SMALL, TITLE = 7.5, 8.0, 14.0  # font sizes
LEADING = 1.3  # line height / font size
PAD_X, PAD_Y = 3.0, 2.0
GREY_TEXT = b"0.4 g"
HEADER_FILL = b"0.914 0.933 0.961 rg"


class _Font:
    """Glyph ids and advance widths (1/1000 em) of the characters used, and which glyphs to embed."""

    def __init__(self, path: str = FONT_FILE, index: int = FONT_INDEX):
        from fontTools.ttLib import TTFont

        self.path, self.index = path, index
        font = TTFont(path, fontNumber=index, lazy=True)
        self.scale = 1000 / font["head"].unitsPerEm
        cmap = font.getBestCmap()
        ids = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
        hmtx = font["hmtx"]
        self.glyphs = {cp: (ids[name], hmtx[name][0] * self.scale) for cp, name in cmap.items()}
        self.notdef = (0, hmtx[font.getGlyphOrder()[0]][0] * self.scale)
        self.ascent, self.descent = font["hhea"].ascent * self.scale, font["hhea"].descent * self.scale
        self.used: dict[int, tuple[int, float]] = {}  # gid -> (code point, width)
        font.close()

    def encode(self, text: str) -> tuple[bytes, float]:
        """(the hex string of glyph ids for Tj, the width in 1/1000 em)."""
        out, width = [], 0.0
        for ch in text:
            cp = ord(ch)
            gid, w = self.glyphs.get(cp, self.notdef)
            self.used.setdefault(gid, (cp, w))
            out.append(b"%04x" % gid)
            width += w
        return b"<" + b"".join(out) + b">", width

    def width(self, text: str) -> float:
        glyphs, notdef = self.glyphs, self.notdef
        return sum(glyphs.get(ord(ch), notdef)[1] for ch in text)

    def wrap(self, text: str, limit: float) -> list[str]:
        """``text`` in lines no wider than ``limit`` (1/1000 em units at size 1), breaking anywhere."""
        lines, line, width = [], [], 0.0
        glyphs, notdef = self.glyphs, self.notdef
        for ch in text:
            if ch == "\n":
                lines.append("".join(line))
                line, width = [], 0.0
                continue
            w = glyphs.get(ord(ch), notdef)[1]
            if line and width + w > limit:
                lines.append("".join(line))
                line, width = [], 0.0
            line.append(ch)
            width += w
        lines.append("".join(line))
        return lines

    def subset(self) -> bytes:
        """The font reduced to the glyphs used (glyph ids unchanged: poppler and others look CFF glyphs up by id),
        as an OpenType (CFF) file."""
        import io
        import logging

        logging.getLogger("fontTools").setLevel(logging.WARNING)  # its INFO lines would fill the worker's log

        from fontTools import subset
        from fontTools.ttLib import TTFont

        font = TTFont(self.path, fontNumber=self.index)
        options = subset.Options(retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True,
                                 hinting=False, desubroutinize=True, notdef_outline=True)
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx", "DSIG"]
        sub = subset.Subsetter(options)
        sub.populate(gids=sorted(set(self.used) | {0}))
        sub.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        return buf.getvalue()


@lru_cache(maxsize=1)
def _font_tables(path: str, index: int) -> _Font:
    return _Font(path, index)


def font() -> _Font:
    """A fresh usage record over the (cached) glyph tables of the font."""
    base = _font_tables(FONT_FILE, FONT_INDEX)
    f = _Font.__new__(_Font)
    f.__dict__.update(base.__dict__)
    f.used = {}
    return f


def _num(v: float) -> bytes:
    return b"%.2f" % v


class TablePdf:
    """``with TablePdf(path, ...) as pdf: pdf.row([...])`` — a table over as many pages as it takes."""

    def __init__(self, path: Path, *, title: str, header_left: str, header_right: str, intro: str,
                 columns: list[tuple[str, float, bool]]):
        """``columns``: (header, relative width, right-aligned)."""
        self.font = font()
        self.file = open(path, "wb")  # noqa: SIM115 — closed by close()
        self.offsets: dict[int, int] = {}
        self.next_id = 8  # 1 catalog, 2 pages, 3–7 the font; then content streams and pages
        self.pages: list[tuple[int, int]] = []  # (page object id, body stream id)
        self.title, self.header_left, self.header_right, self.intro = title, header_left, header_right, intro
        usable = PAGE_W - 2 * MARGIN_X
        total = sum(w for _h, w, _r in columns)
        self.columns = [(h, usable * w / total, right) for h, w, right in columns]
        self.line = BODY * LEADING
        self.ops: list[bytes] = []
        self.y = 0.0
        self.file.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self._page_start()

    # ---- objects ----

    def _obj(self, oid: int, body: bytes) -> None:
        self.offsets[oid] = self.file.tell()
        self.file.write(b"%d 0 obj\n" % oid + body + b"\nendobj\n")

    def _stream(self, oid: int, data: bytes, extra: bytes = b"") -> None:
        packed = zlib.compress(data, 6)
        self._obj(oid, b"<< /Length %d /Filter /FlateDecode %s>>\nstream\n" % (len(packed), extra)
                  + packed + b"\nendstream")

    def _new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    # ---- drawing ----

    def _text(self, x: float, y: float, size: float, text: str) -> float:
        hexed, width = self.font.encode(text)
        self.ops.append(b"BT /F1 %s Tf %s %s Td %s Tj ET" % (_num(size), _num(x), _num(y), hexed))
        return width * size / 1000

    def _text_right(self, right: float, y: float, size: float, text: str) -> None:
        self._text(right - self.font.width(text) * size / 1000, y, size, text)

    def _page_start(self) -> None:
        self.ops = [GREY_TEXT]
        top = PAGE_H - MARGIN_TOP / 2 - SMALL / 2
        self._text(MARGIN_X, top, SMALL, f"数银在线 · {self.title}")
        self._text_right(PAGE_W - MARGIN_X, top, SMALL, self.header_right)
        self.ops.append(b"0.133 g")
        self.y = PAGE_H - MARGIN_TOP
        if not self.pages:  # the document's own heading, on the first page
            self.y -= TITLE
            self._text(MARGIN_X, self.y, TITLE, self.title)
            self.y -= SMALL * 2.2
            self._text(MARGIN_X, self.y, SMALL, self.intro)
            self.y -= SMALL
        self._row([h for h, _w, _r in self.columns], header=True)

    def _page_end(self) -> None:
        body = self._new_id()
        self._stream(body, b"\n".join(self.ops))
        self.pages.append((self._new_id(), body))
        self.ops = []

    def _row(self, values: list[str], *, header: bool = False) -> None:
        cells = [self.font.wrap(v, (w - 2 * PAD_X) * 1000 / BODY) for v, (_h, w, _r) in zip(values, self.columns)]
        height = max(len(c) for c in cells) * self.line + 2 * PAD_Y
        if not header and self.y - height < MARGIN_BOTTOM:
            self._page_end()
            self._page_start()
        x, top = MARGIN_X, self.y
        bottom = top - height
        if header:
            self.ops.append(b"q " + HEADER_FILL + b" %s %s %s %s re f Q" % (
                _num(MARGIN_X), _num(bottom), _num(PAGE_W - 2 * MARGIN_X), _num(height)))
        for lines, (_h, w, right) in zip(cells, self.columns):
            baseline = top - PAD_Y - BODY
            for line in lines:
                if line:
                    if right and not header:
                        self._text_right(x + w - PAD_X, baseline, BODY, line)
                    else:
                        self._text(x + PAD_X, baseline, BODY, line)
                baseline -= self.line
            x += w
        self.ops.append(b"q 0.8 G 0.5 w %s %s m %s %s l S Q" % (
            _num(MARGIN_X), _num(bottom), _num(PAGE_W - MARGIN_X), _num(bottom)))
        self.y = bottom

    def row(self, values: list) -> None:
        self._row(["-" if v is None else str(v) for v in values])

    # ---- the end: footers, pages, font, cross-reference table ----

    def close(self) -> None:
        self._page_end()
        count = len(self.pages)
        for number, (page_id, body) in enumerate(self.pages, start=1):
            self.ops = [GREY_TEXT]
            self._text_right(PAGE_W - MARGIN_X, MARGIN_BOTTOM / 2 - SMALL / 2, SMALL, f"第 {number} 页 / 共 {count} 页")
            footer = self._new_id()
            self._stream(footer, b"\n".join(self.ops))
            self._obj(page_id, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %s %s] /Resources << /Font << /F1 3 0 R >> >>"
                      b" /Contents [%d 0 R %d 0 R] >>" % (_num(PAGE_W), _num(PAGE_H), body, footer))
        self._obj(2, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (
            count, b" ".join(b"%d 0 R" % p for p, _b in self.pages)))
        self._obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        self._write_font()
        xref = self.file.tell()
        size = self.next_id
        lines = [b"xref\n0 %d\n" % size, b"0000000000 65535 f \n"]
        for oid in range(1, size):
            offset = self.offsets.get(oid)
            lines.append(b"%010d 00000 n \n" % offset if offset is not None else b"0000000000 65535 f \n")
        self.file.write(b"".join(lines))
        self.file.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref))
        self.file.close()

    def _write_font(self) -> None:
        f = self.font
        used = sorted(f.used.items())
        widths = b" ".join(b"%d [%s]" % (gid, _num(w)) for gid, (_cp, w) in used)
        name = FONT_NAME.encode()
        self._obj(3, b"<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [4 0 R]"
                     b" /ToUnicode 5 0 R >>" % name)
        self._obj(4, b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe)"
                     b" /Ordering (Identity) /Supplement 0 >> /FontDescriptor 6 0 R /DW 1000 /W [%s] >>"
                  % (name, widths))
        cmap = [b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
                b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
                b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
                b"1 begincodespacerange <0000> <ffff> endcodespacerange"]
        for start in range(0, len(used), 100):
            chunk = used[start:start + 100]
            cmap.append(b"%d beginbfchar" % len(chunk))
            cmap += [b"<%04x> <%s>" % (gid, cp_hex(cp)) for gid, (cp, _w) in chunk]
            cmap.append(b"endbfchar")
        cmap += [b"endcmap CMapName currentdict /CMap defineresource pop end end"]
        self._stream(5, b"\n".join(cmap))
        self._obj(6, b"<< /Type /FontDescriptor /FontName /%s /Flags 4 /FontBBox [-1000 %s 3000 %s] /ItalicAngle 0"
                     b" /Ascent %s /Descent %s /CapHeight 733 /StemV 80 /FontFile3 7 0 R >>"
                  % (name, _num(f.descent), _num(f.ascent), _num(f.ascent), _num(f.descent)))
        self._stream(7, f.subset(), b"/Subtype /OpenType ")


def cp_hex(cp: int) -> bytes:
    """A code point as UTF-16BE hex (a surrogate pair beyond the BMP)."""
    return chr(cp).encode("utf-16-be").hex().encode()
