#!/usr/bin/env python3
"""Prompt processing and generation speed of swift-poe (`poe speed`) and llama.cpp (llama-cpp-python) on
the same GGUF file, in one run, as ratios.

    python3 Benchmarks/speed_side_by_side.py [--models gemma-3-270m,smollm2-135m-instruct] [--threads 2] [--contention]

For each model, alternating the two engines each repetition (the machine is shared and noisy):
- pp: a prompt of 512 random tokens from an empty context;
- tg: 128 tokens generated one at a time after BOS;
- batch: `poe speed --batch 16`, 16 sequences of 128 tokens stepped together, against llama.cpp's single
  stream (the issue's bar is 3x).
Both engines first run each measurement once untimed (llama-bench's warm-up: the weights' pages and the
buffers are touched before timing). Medians over --repetitions. Ratios are swift-poe's rate over llama.cpp's: above 1, swift-poe is faster.
Also prints swift-poe's peak resident memory against the file's size plus the KV cache, and the machine's
instruction-set level. With --contention another process keeps one core busy (`while True: pass`) through
every measurement of both engines: a shared machine.

    python3 Benchmarks/speed_side_by_side.py --lora [--lora-rank 8]

instead measures what a LoRA adapter costs: a random rank-8 adapter (F16) on every projection of every
layer, written by scripts/llama_reference.py's `write_lora`, each engine with and without it, alternating;
printed as each engine's adapted rate over its own base rate, and swift-poe's adapted rate over llama.cpp's.

    python3 Benchmarks/speed_side_by_side.py --memory 4096

instead measures peak resident memory (VmHWM) over a prompt of 4096 tokens, each engine in a process of its
own: `poe speed`, and llama.cpp with its F16 KV cache both as llama-cpp-python sets it up (SWA layers
full-size) and as llama.cpp's own tools do (`swa_full` off: SWA layers keep their window and a batch).
llama.cpp's figure includes the Python interpreter that hosts it, also printed alone.

    --kv-cache f16   gives swift-poe a half-precision KV cache (`poe speed --kv-cache f16`), as llama.cpp's default.
    --activations q8   runs swift-poe with 8-bit activations (`poe speed --activations q8`), as llama.cpp
                 always runs; the default, f32, is swift-poe's exact path.
    --isa avx2   forces swift-poe's AVX2 kernels (POE_SIMD_LEVEL=avx2) for an ISA-matched comparison with a
                 llama.cpp built without AVX-512 (CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX512=OFF ...");
                 the llama.cpp build's own instruction sets are printed.

"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POE = ROOT / ".build" / "release" / "poe"
sys.path.insert(0, str(ROOT / "scripts"))


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
    parser.add_argument("--contention", action="store_true", help="keep one core busy with another process throughout")
    parser.add_argument("--lora", action="store_true", help="measure the cost of a LoRA adapter instead")
    parser.add_argument("--lora-rank", type=int, default=8)
    parser.add_argument("--memory", type=int, metavar="TOKENS", help="measure peak resident memory over a prompt this long instead")
    parser.add_argument("--isa", choices=["native", "avx2"], default="native", help="avx2: force swift-poe's AVX2 kernels")
    parser.add_argument("--activations", choices=["f32", "q8"], default="f32", help="swift-poe's activations in the decode products")
    parser.add_argument("--kv-cache", choices=["f32", "f16"], default="f32", help="swift-poe's KV cache precision")
    args = parser.parse_args()
    if args.isa == "avx2":
        os.environ["POE_SIMD_LEVEL"] = "avx2"

    subprocess.run(["swift", "build", "-c", "release", "--package-path", str(ROOT), "--product", "poe"], check=True, capture_output=True)
    from llama_cpp import Llama, __version__

    import llama_cpp

    print(f"machine: {isa_level()}")
    print(f"swift-poe kernels: {'AVX2 (forced)' if args.isa == 'avx2' else 'the widest this CPU has'}; "
          f"llama.cpp build: {llama_cpp.llama_print_system_info().decode().strip()}")
    print(f"swift-poe activations: {args.activations} ({'rounded to 8 bits, as llama.cpp does' if args.activations == 'q8' else 'float32, exact'})")
    print(f"swift-poe KV cache: {args.kv_cache}")
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.contention else None
    if busy:
        print("one core kept busy by another process throughout")
    try:
        if args.lora:
            return lora_cost(args, __version__)
        if args.memory:
            return peak_memory(args)
        side_by_side(args, __version__, Llama)
    finally:
        if busy:
            busy.kill()


def isa_level():
    """The vector instructions this CPU has, as the kernels choose by them."""
    flags = set()
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    level = "AVX-512" if {"avx512f", "avx512bw"} <= flags else "AVX2" if {"avx2", "fma"} <= flags else "no AVX2"
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "unknown CPU")
    return f"{model}, {os.cpu_count()} CPUs, {level} (F16C {'yes' if 'f16c' in flags else 'no'})"


def side_by_side(args, version, Llama):
    print(f"llama.cpp through llama-cpp-python {version}, {args.threads} threads; swift-poe `poe speed`, {args.threads} threads")
    for model in args.models.split(","):
        path = poe("models", "path", model).splitlines()[-1]
        info = json.loads(poe("inspect", model, "--json"))
        llm = Llama(model_path=path, n_ctx=args.prompt_tokens + args.gen_tokens + 16, n_batch=512, n_ubatch=512,
                    n_threads=args.threads, n_threads_batch=args.threads, logits_all=False, verbose=False)
        common = ["--model", model, "--prompt-tokens", str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens),
                  "--threads", str(args.threads), "--repetitions", "1", "--json", "--activations", args.activations,
                  "--kv-cache", args.kv_cache]
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


LLAMA_CPP_MEMORY = """
import re, sys
def hwm():
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024
path, tokens, threads, swa_full = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
from llama_cpp import Llama
if path == "-":
    print(hwm())
    sys.exit()
llm = Llama(model_path=path, n_ctx=tokens, n_batch=512, n_ubatch=512, n_threads=threads, n_threads_batch=threads,
            logits_all=False, verbose=False, swa_full=swa_full)
llm.eval([(7 * i) % 1000 + 1000 for i in range(tokens)])
print(hwm())
"""


def peak_memory(args):
    """Peak resident memory of each engine over a prompt of `args.memory` tokens, each in its own process."""
    def llama_cpp(path, swa_full):
        result = subprocess.run([sys.executable, "-c", LLAMA_CPP_MEMORY, path, str(args.memory), str(args.threads), "1" if swa_full else "0"],
                                check=True, capture_output=True, text=True)
        return int(result.stdout.split()[-1])

    print(f"peak resident memory over a prompt of {args.memory} tokens (VmHWM), {args.threads} threads")
    interpreter = llama_cpp("-", False)
    print(f"  the Python interpreter with llama_cpp imported, alone: {interpreter / 2**20:.0f} MiB")
    for model in args.models.split(","):
        path = poe("models", "path", model).splitlines()[-1]
        ours = json.loads(poe("speed", "--model", model, "--prompt-tokens", str(args.memory - 1), "--gen-tokens", "1",
                              "--threads", str(args.threads), "--repetitions", "1", "--no-warmup", "--json",
                              "--kv-cache", args.kv_cache))["peak_resident_bytes"]
        full, windowed = llama_cpp(path, True), llama_cpp(path, False)
        print(f"\n{model} ({os.path.getsize(path) / 2**20:.0f} MiB file)")
        print(f"  swift-poe ({args.kv_cache.upper()} KV cache, windows kept for SWA layers): {ours / 2**20:6.0f} MiB")
        print(f"  llama.cpp, F16 KV cache, SWA layers full-size (llama-cpp-python's default): {full / 2**20:6.0f} MiB"
              f"  -> swift-poe / llama.cpp {ours / full:.2f}")
        print(f"  llama.cpp, F16 KV cache, SWA layers windowed (swa_full off, llama.cpp's tools' default): {windowed / 2**20:6.0f} MiB"
              f"  -> swift-poe / llama.cpp {ours / windowed:.2f}")


def lora_cost(args, version):
    """Each engine's speed with a random adapter on every projection, over its own speed without one."""
    import gguf
    from llama_reference import LORA_PROJECTIONS, llama_with_lora, load_llama, write_lora

    T = gguf.GGMLQuantizationType
    print(f"LoRA cost: rank {args.lora_rank} (F16) on {', '.join(LORA_PROJECTIONS)} of every layer; "
          f"llama.cpp {version} and swift-poe, {args.threads} threads")
    for model in args.models.split(","):
        path = poe("models", "path", model).splitlines()[-1]
        adapter = Path(tempfile.mkdtemp()) / f"{model}-lora-r{args.lora_rank}.gguf"
        write_lora(model, path, adapter, rank=args.lora_rank, alpha=2.0 * args.lora_rank, scale=1.0,
                   layers=lambda count: range(count), types=lambda index: (T.F16, T.F16))
        common = ["--model", model, "--prompt-tokens", str(args.prompt_tokens), "--gen-tokens", str(args.gen_tokens),
                  "--threads", str(args.threads), "--repetitions", "1", "--json"]
        engines = {
            "llama.cpp": lambda: llama_cpp_speed(base_llm, args.prompt_tokens, args.gen_tokens, seed=0),
            "llama.cpp + LoRA": lambda: llama_cpp_speed(lora_llm, args.prompt_tokens, args.gen_tokens, seed=0),
            "swift-poe": lambda: speed_pair(poe("speed", *common)),
            "swift-poe + LoRA": lambda: speed_pair(poe("speed", *common, "--lora", str(adapter))),
        }
        options = dict(n_ctx=args.prompt_tokens + args.gen_tokens + 16, n_ubatch=512, n_threads=args.threads,
                       n_threads_batch=args.threads, logits_all=False)
        base_llm = load_llama(path, **options)
        lora_llm = llama_with_lora(path, adapter, 1.0, **options)
        for run in engines.values():
            run()  # warm-up
        results = {name: [] for name in engines}
        for _ in range(args.repetitions):
            for name, run in engines.items():
                results[name].append(run())
        base_llm.close()
        lora_llm.close()
        median = {name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs)) for name, rs in results.items()}
        print(f"\n{model} ({adapter.stat().st_size / 1e6:.1f} MB adapter)")
        for what, i in (("pp", 0), (f"tg", 1)):
            ours, ours_lora = median["swift-poe"][i], median["swift-poe + LoRA"][i]
            theirs, theirs_lora = median["llama.cpp"][i], median["llama.cpp + LoRA"][i]
            print(f"  {what}: swift-poe {ours:7.1f} -> {ours_lora:7.1f} tok/s ({ours_lora / ours:.3f}); "
                  f"llama.cpp {theirs:7.1f} -> {theirs_lora:7.1f} ({theirs_lora / theirs:.3f}); "
                  f"with LoRA, swift-poe / llama.cpp = {ours_lora / theirs_lora:.2f}")


def speed_pair(output):
    report = json.loads(output)
    return report["prompt_tokens_per_s"], report["gen_tokens_per_s"]


if __name__ == "__main__":
    main()
