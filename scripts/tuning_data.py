#!/usr/bin/env python3
"""Write the response-tuning set of docs/tuning.md: the reference responses of AlpacaEval items 200 on
(../shared/data/alpaca-eval.jsonl), never an instruction of the evaluation set (hewitt-val.jsonl), and only
those of at most --max-tokens tokens with BOS and EOS (so that every sequence ends with the EOS a model
must learn to produce), one {"output": ...} line each. Lengths are counted with llama.cpp's tokenizer
(llama-cpp-python, vocabulary only), which swift-poe's equals (TokenizerTests).

    python3 scripts/tuning_data.py --out responses.jsonl [--model gemma-3-270m] [--max-tokens 320]
"""

import argparse
import json
import subprocess
from pathlib import Path

import llama_cpp

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--max-tokens", type=int, default=320)
    args = parser.parse_args()
    poe = str(ROOT / ".build" / "release" / "poe")
    path = subprocess.check_output([poe, "models", "path", args.model], text=True).strip().splitlines()[-1]
    vocabulary = llama_cpp.Llama(path, vocab_only=True, verbose=False)
    held_out = {json.loads(line)["instruction"].strip() for line in open(SHARED / "hewitt-val.jsonl")}
    rows = [json.loads(line) for line in open(SHARED / "alpaca-eval.jsonl")][200:]
    kept = []
    for row in rows:
        if row["instruction"].strip() in held_out:
            continue
        ids = vocabulary.tokenize(row["reference"].encode(), add_bos=False, special=False)
        if len(ids) + 2 <= args.max_tokens:
            kept.append(row["reference"])
    Path(args.out).write_text("".join(json.dumps({"output": text}) + "\n" for text in kept))
    print(f"wrote {args.out}: {len(kept)} of {len(rows)} responses")


if __name__ == "__main__":
    main()
