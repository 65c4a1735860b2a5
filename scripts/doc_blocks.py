#!/usr/bin/env python3
"""The Swift code a dependent is told to write, taken from the documentation itself.

    python3 scripts/doc_blocks.py manifest|haiku|lipogram

prints the README's Package.swift, the README's program (`@main struct Haiku`) or the custom expert of
the DocC article "Writing an expert" (`@main struct Lipogram`). The article "Getting started" must show
the same manifest and program as the README; this exits 1 if it does not, or if a block is missing.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GETTING_STARTED = ROOT / "Sources/PoE/PoE.docc/GettingStarted.md"
WRITING_AN_EXPERT = ROOT / "Sources/PoE/PoE.docc/WritingAnExpert.md"


def swift_blocks(path: pathlib.Path) -> list[str]:
    return re.findall(r"^```swift\n(.*?)^```", path.read_text(), flags=re.S | re.M)


def block(path: pathlib.Path, marker: str) -> str:
    found = [b for b in swift_blocks(path) if marker in b]
    if len(found) != 1:
        sys.exit(f"{path.relative_to(ROOT)}: expected one Swift block with {marker!r}, found {len(found)}")
    return found[0]


def main() -> None:
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    markers = {"manifest": "// swift-tools-version", "haiku": "struct Haiku", "lipogram": "struct Lipogram"}
    if what not in markers:
        sys.exit(__doc__.strip())
    if what == "lipogram":
        print(block(WRITING_AN_EXPERT, markers[what]), end="")
        return
    text = block(README, markers[what])
    if block(GETTING_STARTED, markers[what]) != text:
        sys.exit(f"README.md and {GETTING_STARTED.relative_to(ROOT)} show different code for {what}")
    print(text, end="")


if __name__ == "__main__":
    main()
