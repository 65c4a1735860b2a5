#!/usr/bin/env python3
"""Opens a `poe bench` report.html in headless Chromium (Debian's `chromium` package), saves a screenshot,
and checks that the screenshot shows the summary table and the charts.

    python3 scripts/screenshot_report.py bench-report/report.html [--out bench-report/report.png]

The check reads the PNG back (no imaging library needed) and counts pixels of the colours the report
draws with: the first rule set's bar colour (charts), the table's border grey (table) and near-black
(text). It exits non-zero, saying which is missing, if any is absent.
"""
import argparse
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

BAR = (0x4E, 0x79, 0xA7)  # HTMLReport.color(0): the first rule set's bars and swatch
BORDER = (0xCC, 0xCC, 0xCC)  # table.summary cell borders


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    sys.exit("no Chromium found: install Debian's package with `apt-get install -y chromium`")


def screenshot(html, png, width, height):
    command = [
        find_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size={width},{height}", f"--screenshot={png}", html.resolve().as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode != 0 or not png.exists():
        sys.exit(f"Chromium failed ({result.returncode}): {result.stderr.strip()[-500:]}")


def read_png(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path} is not a PNG")
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour = header[:4]
    if depth != 8 or colour not in (2, 6):
        sys.exit(f"unexpected PNG format (depth {depth}, colour type {colour})")
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append([tuple(line[x:x + 3]) for x in range(0, stride, channels)])
        previous = line
    return width, height, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("html", type=Path)
    parser.add_argument("--out", type=Path, help="the PNG (default: next to the report, report.png)")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1800)
    args = parser.parse_args()
    if not args.html.exists():
        sys.exit(f"{args.html} does not exist")
    png = args.out or args.html.with_suffix(".png")
    screenshot(args.html, png, args.width, args.height)
    width, height, rows = read_png(png)
    counts = {"chart bars": 0, "table borders": 0, "text": 0}
    for row in rows:
        for pixel in row:
            if pixel == BAR:
                counts["chart bars"] += 1
            elif pixel == BORDER:
                counts["table borders"] += 1
            elif max(pixel) < 60:
                counts["text"] += 1
    print(f"{png}: {width}x{height}; " + ", ".join(f"{name} {count} px" for name, count in counts.items()))
    missing = [name for name, count in counts.items() if count < 500]
    if missing:
        sys.exit(f"the screenshot lacks {', '.join(missing)}")


if __name__ == "__main__":
    main()
