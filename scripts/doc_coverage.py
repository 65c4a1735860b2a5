#!/usr/bin/env python3
"""Every public symbol of the documented modules has a doc comment.

Reads the `documentation-coverage.json` DocC writes into each archive (`make docs` passes
`--experimental-documentation-coverage --coverage-summary-level detailed`) and lists every symbol
without an abstract. Exempt: the members a standard protocol documents (`description`, `init(from:)`,
`encode(to:)`, `init(rawValue:)`, `rawValue`, `next()`, `hash(into:)`, `==`) and extension pages.
Exits 1 if anything is listed.

    python3 scripts/doc_coverage.py .build/docs/*.doccarchive
"""
import json
import pathlib
import sys

EXEMPT_TITLES = {"description", "init(from:)", "encode(to:)", "init(rawValue:)", "rawValue", "next()",
                 "hash(into:)", "==(_:_:)", "!=(_:_:)", "debugDescription"}
EXEMPT_KINDS = {"Extended Module", "Extended Structure", "Extended Enumeration", "Extended Class",
                "Extended Protocol"}


def undocumented(archive: pathlib.Path) -> list[str]:
    entries = json.loads((archive / "documentation-coverage.json").read_text())
    missing = []
    for entry in entries:
        kind = entry["kind"]
        if not kind.get("isSymbol") or entry["hasAbstract"]:
            continue
        title = entry["title"].split(".")[-1] if "(" not in entry["title"] else entry["title"]
        if title in EXEMPT_TITLES or kind["name"] in EXEMPT_KINDS:
            continue
        missing.append(entry["referencePath"].split("/documentation/", 1)[-1])
    return sorted(missing)


def main() -> int:
    archives = [pathlib.Path(a) for a in sys.argv[1:]]
    if not archives:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    total = 0
    for archive in archives:
        missing = undocumented(archive)
        total += len(missing)
        print(f"{archive.name}: {len(missing)} public symbols without a doc comment")
        for path in missing:
            print(f"  {path}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
