#!/usr/bin/env python3
"""Checks of a page that cdx report wrote, as Chromium rendered it (t_report.sh).

  report_check.py png FILE.png MIN_COLOURS   the screenshot is not blank: it
                                             decodes, and holds at least
                                             MIN_COLOURS distinct colours
  report_check.py width DOM.html MAX_PX      the rendering's scrollWidth (written
                                             into the DOM by the test's copy of
                                             the page) is at most MAX_PX, at a
                                             viewport of MAX_PX
  report_check.py dom DOM.html REPORT.json   every data-k element's text is the
                                             value at that key path in the JSON
                                             (numbers as the JSON writes them,
                                             true/false, null as "none"); the DOM
                                             holds no script element; prints
                                             "KEY=TEXT" for every figure

Only the standard library: the PNG is decoded here (zlib and the five
filters of the PNG specification), the DOM read with html.parser.
"""
import html.parser
import json
import struct
import sys
import zlib


def fail(msg):
    print("report_check: " + msg, file=sys.stderr)
    sys.exit(1)


def png_colours(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                fail(f"{path}: depth {depth} colour type {ctype} interlace {interlace} not handled")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    if width is None:
        fail(f"{path} has no IHDR")
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours = set()
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xFF
            elif f == 2:
                line[i] = (line[i] + b) & 0xFF
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 0xFF
            elif f != 0:
                fail(f"{path}: filter {f} at row {y}")
        if y % 4 == 0:
            for x in range(0, width, 2):
                colours.add(bytes(line[x * bpp:x * bpp + 3]))
        prev = line
    return width, height, colours


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.figures = []      # (key, text)
        self.open = []         # the data-k elements open: [key, tag, text]
        self.tags = {}
        self.attrs = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        a = dict(attrs)
        for k, v in a.items():
            self.attrs.setdefault(k, []).append(v)
        if "data-k" in a:
            self.open.append([a["data-k"], tag, ""])

    def handle_endtag(self, tag):
        if self.open and self.open[-1][1] == tag:
            key, _, text = self.open.pop()
            self.figures.append((key, text))

    def handle_data(self, data):
        for o in self.open:
            o[2] += data


def lookup(doc, path):
    v = doc
    for part in path.split("."):
        if isinstance(v, list):
            if not part.isdigit() or int(part) >= len(v):
                raise KeyError(path)
            v = v[int(part)]
        elif isinstance(v, dict):
            if part not in v:
                raise KeyError(path)
            v = v[part]
        else:
            raise KeyError(path)
    return v


def as_text(v):
    if v is None:
        return "none"
    if v is True:
        return "true"
    if v is False:
        return "false"
    return v


def main():
    what = sys.argv[1]
    if what == "png":
        w, h, colours = png_colours(sys.argv[2])
        if len(colours) < int(sys.argv[3]):
            fail(f"the screenshot ({w}x{h}) has only {len(colours)} colours: blank?")
        print(f"{w}x{h} {len(colours)} colours")
    elif what == "width":
        d = Dom()
        d.feed(open(sys.argv[2], encoding="utf-8").read())
        got = d.attrs.get("data-scroll-width")
        inner = d.attrs.get("data-inner-width")
        if not got or not inner:
            fail("the rendering did not record its widths")
        sw, iw, limit = int(got[0]), int(inner[0]), int(sys.argv[3])
        if iw != limit:
            fail(f"the viewport is {iw} px, not {limit}")
        if sw > limit:
            fail(f"the page is {sw} px wide at a viewport of {limit} px: wider than A4")
        print(f"scrollWidth {sw} at {iw}")
    elif what == "dom":
        d = Dom()
        d.feed(open(sys.argv[2], encoding="utf-8").read())
        if d.tags.get("script"):
            fail("the DOM holds a script element")
        # Numbers kept as the JSON text wrote them.
        doc = json.loads(open(sys.argv[3], encoding="utf-8").read(), parse_float=str, parse_int=str)
        if not d.figures:
            fail("no data-k figure in the page")
        for key, text in d.figures:
            try:
                want = as_text(lookup(doc, key))
            except KeyError:
                fail(f"data-k {key} is not a key of the JSON")
            if not isinstance(want, str):
                fail(f"data-k {key} names an object or array in the JSON")
            if text != want:
                fail(f"data-k {key}: the page shows {text!r}, the JSON holds {want!r}")
            print(f"{key}={text}")
        # ... and the other way: every figure of the JSON is on the page.
        shown = {key for key, _ in d.figures}
        missing = [k for k in leaves(doc) if k not in shown and k.split(".")[0] not in JSON_ONLY]
        if missing:
            fail(f"{len(missing)} figure(s) of the JSON are not on the page: {', '.join(missing[:10])}")
    else:
        fail("usage: report_check.py png|width|dom ...")


# What the JSON holds for scripts alone: which report it is.
JSON_ONLY = {"report"}


def leaves(v, prefix=""):
    """The key path of every number, string, boolean and null in V."""
    if isinstance(v, dict):
        for k, x in v.items():
            yield from leaves(x, f"{prefix}{k}.")
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from leaves(x, f"{prefix}{i}.")
    else:
        yield prefix[:-1]


main()
