#!/usr/bin/env bash
# swift-poe as a dependency, from its documentation alone (make dependent-check, run by make test).
#
# A new package is written in a temporary folder from the README and the DocC articles only: the
# README's Package.swift, its program (Haiku, in @main form) and the custom expert of "Writing an expert"
# (Lipogram, as the second executable target the article asks for), beside this checkout under the name
# swift-poe. It must build and run. Then the Examples package, whose haiku and custom-expert programs
# must be those same blocks word for word, builds as well.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
blocks="python3 $repo/scripts/doc_blocks.py"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

ln -s "$repo" "$work/swift-poe"
app="$work/haiku"
mkdir -p "$app/Sources/haiku" "$app/Sources/lipogram"
$blocks manifest > "$app/Package.swift"
$blocks haiku > "$app/Sources/haiku/Haiku.swift"
$blocks lipogram > "$app/Sources/lipogram/Lipogram.swift"
python3 - "$app/Package.swift" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
target = re.search(r'^ *\.executableTarget\(\n *name: "haiku",.*?^ *\),\n', text, flags=re.S | re.M)
if not target:
    sys.exit("the README's Package.swift has no executable target named haiku")
lipogram = target.group(0).replace('name: "haiku"', 'name: "lipogram"')
open(path, "w").write(text.replace(target.group(0), target.group(0) + lipogram))
PY

echo "dependent-check: building a package written from the README and the articles in $app"
swift build -c release --package-path "$app" 2>&1 | grep -E "error|Build complete"
haiku="$("$app/.build/release/haiku")"
echo "$haiku"
grep -Eq '^\[(eos|length|stop|context_full) after [0-9]+ tokens, [0-9]+ tokens/s\]$' <<<"$haiku" \
    || { echo "dependent-check: the README's program did not end with its [stop reason, tokens, speed] line"; exit 1; }
lipogram="$("$app/.build/release/lipogram")"
echo "$lipogram"
grep -q '^\[alone\]' <<<"$lipogram" && grep -q '^\[avoiding e\]' <<<"$lipogram" \
    || { echo "dependent-check: the custom expert's program did not print both responses"; exit 1; }

echo "dependent-check: the Examples package holds the same programs, and builds"
diff <($blocks haiku) "$repo/Examples/Sources/haiku/Haiku.swift"
diff <($blocks lipogram) "$repo/Examples/Sources/custom-expert/Lipogram.swift"
swift build -c release --package-path "$repo/Examples" 2>&1 | grep -E "error|Build complete"
echo "dependent-check: ok"
