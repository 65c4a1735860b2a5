#!/usr/bin/env bash
# Builds the fuzz targets (libFuzzer, with AddressSanitizer for leaks and memory errors) and runs each for
# SECONDS (default 120) on its seeds, then prints what each did. Exits non-zero if any target crashed,
# hung (10 s on one input), ran out of memory (4 GiB) or leaked; the input that did it is kept in
# Fuzz/.artifacts. Usage: Fuzz/fuzz.sh [SECONDS|smoke] [TARGET...]
#
# `smoke` (CI) runs a fixed number of inputs from a fixed seed, about 20 s a target: the same inputs on
# every run, so a CI run passes or fails the same way each time; exploring is what timed runs are for.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${1:-120}
shift || true
declare -A seeds=([FuzzGGUF]=gguf [FuzzTokenizer]=tokenizer [FuzzRuleSet]=rules [FuzzInstructionFile]=instructions)
declare -A smoke_runs=([FuzzGGUF]=30000 [FuzzTokenizer]=2500 [FuzzRuleSet]=8000 [FuzzInstructionFile]=300000)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(FuzzGGUF FuzzTokenizer FuzzRuleSet FuzzInstructionFile)
build=(swift build -c release --scratch-path .build --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=address)

for target in "${targets[@]}"; do
    "${build[@]}" --product "$target" 2>&1 | grep -E "error|warning: |Compiling|Build complete" | grep -v "^\[" || true
    [ -x ".build/release/$target" ] || { echo "$target: the build failed"; exit 1; }
done

mkdir -p .corpus .artifacts
status=0
summary=()
for target in "${targets[@]}"; do
    corpus=".corpus/$target"
    limit=(-max_total_time="$seconds")
    if [ "$seconds" = smoke ]; then
        # A fresh corpus each time, so the inputs depend only on the seeds.
        corpus=".corpus/$target-smoke"
        rm -rf "$corpus"
        limit=(-runs="${smoke_runs[$target]}" -seed=1)
    fi
    mkdir -p "$corpus"
    log=".artifacts/$target.log"
    # The Swift runtime's backtracer would take the fault signal before libFuzzer could save the input.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=1 ".build/release/$target" "$corpus" "Seeds/${seeds[$target]}" \
        "${limit[@]}" -timeout=10 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix=".artifacts/$target-" > "$log" 2>&1
    code=$?
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$')
    done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
    cov=$(echo "$done_line" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*')
    ft=$(echo "$done_line" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*')
    files=$(ls "$corpus" | wc -l)
    if [ $code -eq 0 ]; then
        summary+=("| $target | ${seconds} | ${runs:-?} | ${cov:-?} | ${ft:-?} | $files | none |")
    else
        status=1
        problem=$(grep -m1 -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|ERROR: LeakSanitizer|property failed|Fatal error' "$log")
        summary+=("| $target | ${seconds} | ${runs:-?} | ${cov:-?} | ${ft:-?} | $files | ${problem:-exit $code} (see Fuzz/$log) |")
    fi
done
echo "| target | seconds | executions | edges covered | features | corpus | crashes, hangs, leaks |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
printf '%s\n' "${summary[@]}"
exit $status
