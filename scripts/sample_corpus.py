#!/usr/bin/env python3
"""Write a small corpus of plain English prose for `poe distill` examples and tests: paragraphs of at
least MIN_WORDS words from the docstrings of Python's standard library (the Python Software Foundation
License), one paragraph per passage, blank lines between.

    python3 scripts/sample_corpus.py [--passages 60] [--out Examples/corpus/stdlib-docstrings.txt]
"""

import argparse
import importlib
import inspect
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["argparse", "asyncio", "base64", "bisect", "calendar", "collections", "contextlib", "csv", "dataclasses",
           "datetime", "decimal", "difflib", "email", "enum", "fractions", "functools", "gettext", "glob", "gzip", "heapq",
           "hmac", "html", "http.server", "inspect", "ipaddress", "itertools", "json", "locale", "logging", "mailbox",
           "multiprocessing", "optparse", "pathlib", "pickle", "pprint", "random", "re", "sched", "secrets", "shelve",
           "shutil", "smtplib", "socket", "sqlite3", "statistics", "string", "subprocess", "tarfile", "tempfile",
           "textwrap", "threading", "timeit", "typing", "unittest", "urllib.parse", "uuid", "warnings", "zipfile"]
MIN_WORDS = 45


def paragraphs(module):
    texts = [inspect.getdoc(module) or ""]
    for name, member in sorted(vars(module).items()):
        if not name.startswith("_") and (inspect.isclass(member) or inspect.isfunction(member)):
            if getattr(member, "__module__", None) == module.__name__:
                texts.append(inspect.getdoc(member) or "")
    for text in texts:
        for block in re.split(r"\n\s*\n", text):
            line = " ".join(block.split())
            # Prose: enough words, no code or tables.
            if len(line.split()) >= MIN_WORDS and not re.search(r">>>|::|\{|\}|==|\|", line):
                yield line


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=60)
    parser.add_argument("--out", default=str(ROOT / "Examples" / "corpus" / "stdlib-docstrings.txt"))
    args = parser.parse_args()
    seen, chosen = set(), []
    for name in MODULES:
        for text in paragraphs(importlib.import_module(name)):
            if text not in seen and len(chosen) < args.passages:
                seen.add(text)
                chosen.append(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n\n".join(chosen) + "\n", encoding="utf-8")
    print(f"wrote {out} ({len(chosen)} passages)")


if __name__ == "__main__":
    main()
