#!/usr/bin/env python3
"""Render a terminal capture (tmux capture-pane -e -p) to a PNG, cell by cell.

    render_ansi.py CAPTURE.ans OUT.png [--cols N] [--rows N]

Colours come from the SGR escapes in the capture (16, 256 and true colour); wide characters
(Chinese) take two cells, as in the terminal. Needs Pillow, DejaVu Sans Mono and Noto CJK
(apt-get install fonts-dejavu-core fonts-noto-cjk; pip install pillow).
"""
import re
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
MONO_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"
CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
SIZE = 16
FG, BG = (220, 223, 228), (24, 26, 33)
BASE16 = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16),
    (36, 114, 200), (188, 63, 188), (17, 168, 205), (229, 229, 229),
    (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
    (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
]


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def parse(text):
    """Yields rows of cells: (char, fg, bg, bold)."""
    fg, bg, bold, rev = FG, BG, False, False
    rows = []
    for line in text.split("\n"):
        row = []
        for m in re.finditer(r"\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-z]|(.)", line):
            if m.group(2) is not None:
                ch = m.group(2)
                f, b = (bg, fg) if rev else (fg, bg)
                row.append((ch, f, b, bold))
                if unicodedata.east_asian_width(ch) in ("W", "F"):
                    row.append(("", f, b, bold))
                continue
            if m.group(1) is None:
                continue
            codes = [int(c) if c else 0 for c in m.group(1).split(";")]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    fg, bg, bold, rev = FG, BG, False, False
                elif c == 1:
                    bold = True
                elif c == 22:
                    bold = False
                elif c == 7:
                    rev = True
                elif c == 27:
                    rev = False
                elif 30 <= c <= 37:
                    fg = BASE16[c - 30]
                elif 90 <= c <= 97:
                    fg = BASE16[c - 90 + 8]
                elif 40 <= c <= 47:
                    bg = BASE16[c - 40]
                elif 100 <= c <= 107:
                    bg = BASE16[c - 100 + 8]
                elif c == 39:
                    fg = FG
                elif c == 49:
                    bg = BG
                elif c in (38, 48) and i + 1 < len(codes):
                    if codes[i + 1] == 5 and i + 2 < len(codes):
                        col = xterm256(codes[i + 2])
                        i += 2
                    elif codes[i + 1] == 2 and i + 4 < len(codes):
                        col = tuple(codes[i + 2:i + 5])
                        i += 4
                    else:
                        col = None
                    if col is not None:
                        if c == 38:
                            fg = col
                        else:
                            bg = col
                i += 1
        rows.append(row)
    return rows


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        sys.exit(__doc__)
    src, out = args[0], args[1]
    rows = parse(open(src, encoding="utf-8", errors="replace").read().rstrip("\n"))
    mono = ImageFont.truetype(MONO, SIZE)
    mono_bold = ImageFont.truetype(MONO_BOLD, SIZE)
    cjk = ImageFont.truetype(CJK, SIZE + 2)
    cw = round(mono.getlength("M"))
    ch = SIZE + 6
    cols = max(len(r) for r in rows)
    img = Image.new("RGB", (cols * cw + 16, len(rows) * ch + 16), BG)
    d = ImageDraw.Draw(img)
    # Backgrounds first, then text: a wide glyph spans the next cell's background.
    for y, row in enumerate(rows):
        for x, (c, f, b, bold) in enumerate(row):
            px, py = 8 + x * cw, 8 + y * ch
            if b != BG:
                d.rectangle([px, py, px + cw - 1, py + ch - 1], fill=b)
    for y, row in enumerate(rows):
        for x, (c, f, b, bold) in enumerate(row):
            px, py = 8 + x * cw, 8 + y * ch
            if not c or c == " ":
                continue
            wide = unicodedata.east_asian_width(c) in ("W", "F")
            font = cjk if wide else (mono_bold if bold else mono)
            d.text((px, py + (0 if wide else 2)), c, font=font, fill=f)
    img.save(out)


if __name__ == "__main__":
    main()
