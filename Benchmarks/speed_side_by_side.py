#!/usr/bin/env python3
"""Prompt processing and generation speed of swift-poe (`poe speed`) and llama.cpp (llama-cpp-python) on
the same GGUF file, in one run, as ratios.

    python3 Benchmarks/speed_side_by_side.py [--models gemma-3-270m,smollm2-135m-instruct] [--threads 2]

For each model, alternating the two engines each repetition (the machine is shared and noisy):
- pp: a prompt of 512 random tokens from an empty context;
- tg: 128 tokens generated one at a time after BOS;
- batch: `poe speed --batch 16`, 16 sequences of 128 tokens stepped together, against llama.cpp's single
  stream (the issue's bar is 3x).
Both engines first run each measurement once untimed (llama-bench's warm-up: the weights' pages and the
buffers are touched before timing). Medians over --repetitions. Ratios are swift-poe's rate over llama.cpp's: above 1, swift-poe is faster.
Also prints swift-poe's peak resident memory against the file's size plus the KV cache.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POE = ROOT / ".build" / "release" / "poe"


def poe(*arguments):
    result = subprocess.run([str(POE), *arguments], check=True, capture_output=True, text=True)
    return result.stdout.strip()


def llama_cpp_speed(llm, prompt_tokens, gen_tokens, seed):
    """(prompt tokens/s, generation tokens/s) of llama.cpp, timed as llama-bench does: a prompt from an
    empty context, then single-token decode steps, each the greedy choice of the last."""
    vocab_size = llm.n_vocab()
    rng = random.Random(seed)
    prompt = [rng.randrange(1000, vocab_size) for _ in range(prompt_tokens)]
    llm.reset()
    start = time.perf_counter()
    llm.eval(prompt)
    prompt_seconds = time.perf_counter() - start

    llm.reset()
    llm.eval([llm.token_bos()])
    token = int(llm.scores[llm.n_tokens - 1].argmax())
    start = time.perf_counter()
    for _ in range(gen_tokens):
        llm.eval([token])
        token = int(llm.scores[llm.n_tokens - 1].argmax())
    gen_seconds = time.perf_counter() - start
    return prompt_tokens / prompt_seconds, gen_tokens / gen_seconds


def kv_cache_bytes(info, positions):
    """Bytes of swift-poe's float32 KV cache for `positions` tokens."""
    arch = info["metadata"]["general.architecture"]
    meta = info["metadata"]
    layers = meta[f"{arch}.block_count"]
    kv_heads = meta.get(f"{arch}.attention.head_count_kv", meta[f"{arch}.attention.head_count"])
    head = meta.get(f"{arch}.attention.key_length", meta[f"{arch}.embedding_length"] // meta[f"{arch}.attention.head_count"])
    value = meta.get(f"{arch}.attention.value_length", head)
    return layers * positions * kv_heads * (head + value) * 4


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="gemma-3-270m,smollm2-135m-instruct")
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--gen-tokens", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()

    subprocess.run(["swift", "build", "-c", "release", "--package-path", str(ROOT), "--product", "poe"], check=True, capture_output=True)
    from llama_cpp import Llama, __version__

    print(f"llama.cpp through llama-cpp-python {__version__}, {args.threads} threads; swift-poe `poe speed`, {args.threads} threads")
    for model in args.models.split(","):
        path = poe("models", "path", model).splitlines()[-1]
        info = json.loads(poe("inspect", model, "--json"))
        llm = Llama(model_path=path, n_ctx=args.prompt_tokens + args.gen_tokens + 16, n_batch=512, n_ubatch=512,
                    n_threads=args.threads, n_threads_batch=args.threads, logits_all=False, verbose=False)
        common = ["--model", model, "--prompt-tokens", str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens),
                  "--threads", str(args.threads), "--repetitions", "1", "--json"]
        theirs, ours, batched = [], [], []
        llama_cpp_speed(llm, args.prompt_tokens, args.gen_tokens, seed=-1)  # warm-up, as `poe speed` has its own
        for repetition in range(args.repetitions):
            theirs.append(llama_cpp_speed(llm, args.prompt_tokens, args.gen_tokens, seed=repetition))
            ours.append(json.loads(poe("speed", *common)))
            batched.append(json.loads(poe("speed", *common, "--batch", str(args.batch))))
        llm.close()

        pp_theirs = statistics.median(t[0] for t in theirs)
        tg_theirs = statistics.median(t[1] for t in theirs)
        pp_ours = statistics.median(o["prompt_tokens_per_s"] for o in ours)
        tg_ours = statistics.median(o["gen_tokens_per_s"] for o in ours)
        batch_ours = statistics.median(b["gen_tokens_per_s"] for b in batched)
        resident = max(o["peak_resident_bytes"] for o in ours)
        file_size = os.path.getsize(path)
        kv = kv_cache_bytes(info, args.prompt_tokens + 1)
        print(f"\n{model} ({file_size / 1e6:.0f} MB; swift-poe kernels {ours[0]['kernels']}, OpenBLAS {ours[0]['blas_core']})")
        print(f"  pp{args.prompt_tokens}:  swift-poe {pp_ours:7.1f} tok/s   llama.cpp {pp_theirs:7.1f} tok/s   ratio {pp_ours / pp_theirs:.2f}")
        print(f"  tg{args.gen_tokens}:  swift-poe {tg_ours:7.1f} tok/s   llama.cpp {tg_theirs:7.1f} tok/s   ratio {tg_ours / tg_theirs:.2f}")
        print(f"  batch {args.batch} x tg{args.gen_tokens}: swift-poe {batch_ours:7.1f} tok/s   vs llama.cpp's single stream: ratio {batch_ours / tg_theirs:.2f}")
        print(f"  peak resident memory (single stream): {resident / 1e6:.0f} MB = {resident / (file_size + kv):.2f} x (file + KV cache of "
              f"{args.prompt_tokens + 1} tokens, {kv / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
