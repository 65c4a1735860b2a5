#!/usr/bin/env python3
"""Load on OpenAI-compatible servers, side by side: `poe serve` and llama-cpp-python's own server
(`python3 -m llama_cpp.server`), on the same GGUF file, the same prompts, 1, 4 and 16 clients.

    python3 -m pip install 'llama-cpp-python[server]' openai
    python3 Benchmarks/serve_load.py --model gemma-3-270m --clients 1,4,16 --requests-per-client 2 --max-tokens 128

Each client sends its requests one after another (a closed loop), streamed `/v1/completions` with a
Tulu-framed instruction from ../shared/data/hewitt-val.jsonl as a raw prompt (so both servers tokenize
the same text), greedy, `max_tokens` tokens at most. Reported per server and client count: aggregate
response tokens a second over the whole run (wall clock), and the time to first token's median and 95th
percentile. The servers run one at a time, each with the machine's cores.

llama_cpp.server serves one request at a time (one model, one sequence, a lock around it: it has no
parallel or batching setting); its best setting here is `--interrupt_requests false` (else a waiting
request cuts the running stream short), `--logits_all false`, two threads, and `repeat_penalty` 1 in the
request (its default of 1.1 would change greedy outputs).
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import openai

ROOT = Path(__file__).resolve().parent.parent
POE = str(ROOT / ".build" / "release" / "poe")
SHARED = ROOT.parent / "shared" / "data"


def prompts(limit):
    rows = [json.loads(line) for line in open(SHARED / "hewitt-val.jsonl")]
    return [f"<|user|>\n{row['instruction']}\n<|assistant|>\n" for row in rows[:limit]]


def start(command, pattern, env=None):
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    for line in process.stdout:
        if re.search(pattern, line):
            return process
    raise SystemExit(f"{command[0]} did not start: exit {process.wait()}")


async def client(api, model, texts, max_tokens, extra, results):
    for text in texts:
        started = time.perf_counter()
        first = None
        tokens = 0
        stream = await api.completions.create(model=model, prompt=text, max_tokens=max_tokens, temperature=0, stream=True,
                                              stream_options={"include_usage": True}, extra_body=extra)
        usage = None
        async for chunk in stream:
            if chunk.usage:
                usage = chunk.usage.completion_tokens
            if chunk.choices and chunk.choices[0].text:
                tokens += 1  # a chunk per token where the server gives no usage
                if first is None:
                    first = time.perf_counter() - started
        results.append((first if first is not None else time.perf_counter() - started, usage if usage is not None else tokens))


async def run(port, model, texts, clients, per_client, max_tokens, extra):
    api = openai.AsyncOpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", max_retries=0, timeout=3600)
    # One request first, untimed: the model's first pass warms its buffers.
    await client(api, model, texts[:1], 8, extra, [])
    results = []
    started = time.perf_counter()
    await asyncio.gather(*[client(api, model, [texts[(c * per_client + r) % len(texts)] for r in range(per_client)], max_tokens, extra, results)
                           for c in range(clients)])
    elapsed = time.perf_counter() - started
    await api.close()
    firsts = sorted(first for first, _ in results)
    tokens = sum(count for _, count in results)
    return {"clients": clients, "requests": len(results), "tokens": tokens, "seconds": elapsed, "tokens_per_s": tokens / elapsed,
            "ttft_p50": statistics.median(firsts), "ttft_p95": firsts[min(len(firsts) - 1, int(0.95 * len(firsts)))]}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="gemma-3-270m")
    parser.add_argument("--clients", default="1,4,16")
    parser.add_argument("--llama-clients", default="1,16", help="client counts for llama_cpp.server ('' to skip it)")
    parser.add_argument("--requests-per-client", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--rules", default="none", help="rule set of poe's requests")
    args = parser.parse_args()
    path = subprocess.check_output([POE, "models", "path", args.model], text=True).strip().splitlines()[-1]
    texts = prompts(64)
    rows = []

    server = start([POE, "serve", "--model", args.model, "--port", "18181", "--max-batch", "16", "--max-queue", "256"], r"on http://")
    try:
        for clients in [int(c) for c in args.clients.split(",") if c]:
            rows.append(("poe serve", asyncio.run(run(18181, args.model, texts, clients, args.requests_per_client, args.max_tokens,
                                                       {"rules": args.rules}))))
            print(rows[-1], flush=True)
    finally:
        server.terminate()
        server.wait()

    if args.llama_clients:
        env = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "MODEL", "N_CTX")}
        server = start([sys.executable, "-m", "llama_cpp.server", "--model", path, "--host", "127.0.0.1", "--port", "18182",
                        "--n_threads", str(args.threads), "--n_threads_batch", str(args.threads), "--n_ctx", "4096",
                        "--interrupt_requests", "false", "--logits_all", "false"], r"Uvicorn running", env=env)
        try:
            for clients in [int(c) for c in args.llama_clients.split(",") if c]:
                rows.append(("llama_cpp.server", asyncio.run(run(18182, args.model, texts, clients, args.requests_per_client, args.max_tokens,
                                                                  {"repeat_penalty": 1.0}))))
                print(rows[-1], flush=True)
        finally:
            server.terminate()
            server.wait()

    print(f"\n{args.model}, {args.max_tokens} tokens at most a response, {args.requests_per_client} requests a client, greedy\n")
    print("| server | clients | requests | tokens | tokens/s | time to first token p50 | p95 |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, r in rows:
        print(f"| {name} | {r['clients']} | {r['requests']} | {r['tokens']} | {r['tokens_per_s']:.1f} | {r['ttft_p50']:.2f} s | {r['ttft_p95']:.2f} s |")
    ours = {r["clients"]: r["tokens_per_s"] for name, r in rows if name == "poe serve"}
    if 1 in ours and 16 in ours:
        print(f"\npoe serve, 16 clients against 1: {ours[16] / ours[1]:.2f}x the aggregate tokens/s")
    theirs = {r["clients"]: r["tokens_per_s"] for name, r in rows if name != "poe serve"}
    if 16 in ours and 16 in theirs:
        print(f"poe serve against llama_cpp.server at 16 clients: {ours[16] / theirs[16]:.2f}x")


if __name__ == "__main__":
    main()
