#!/usr/bin/env python3
"""LoRA training speed of swift-poe (`poe train`) and PyTorch on the CPU, on the same model, data, LoRA
(rank, alpha, every projection of every layer), optimizer (AdamW), sequence lengths and threads.

    python3 -m pip install torch gguf==0.19.0 numpy
    python3 Benchmarks/train_side_by_side.py [--model smollm2-135m-instruct] [--steps 6] [--threads 2]

PyTorch runs the model in float32 from weights dequantized by gguf-py (its usual setting); swift-poe reads
the quantized weights in place. Both train on the same sequences (the references of AlpacaEval items
200 on, as responses, cut to --max-length tokens), --batch-tokens tokens per step; the first step of
each is a warm-up and is not timed. Prints tokens per second and peak resident memory for both.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
POE = ROOT / ".build" / "release" / "poe"
SHARED = ROOT.parent / "shared" / "data"


def poe(*arguments):
    return subprocess.run([str(POE), *arguments], check=True, capture_output=True, text=True)


def torch_model(path, rank, alpha):
    import torch
    from gguf import GGUFReader
    from gguf.quants import dequantize

    reader = GGUFReader(path)
    field = lambda key: reader.fields[key].contents()
    has = lambda key: key in reader.fields
    arch = field("general.architecture")
    m = dict(arch=arch, d=field(f"{arch}.embedding_length"), heads=field(f"{arch}.attention.head_count"),
             kv=field(f"{arch}.attention.head_count_kv"), eps=field(f"{arch}.attention.layer_norm_rms_epsilon"),
             layers=field(f"{arch}.block_count"), base=field(f"{arch}.rope.freq_base") if has(f"{arch}.rope.freq_base") else 10000.0,
             window=field(f"{arch}.attention.sliding_window") if arch == "gemma3" else None)
    m["hd"] = field(f"{arch}.attention.key_length") if has(f"{arch}.attention.key_length") else m["d"] // m["heads"]
    weights = {}
    for t in reader.tensors:
        shape = [int(n) for n in reversed(t.shape)]
        weights[t.name] = torch.from_numpy(dequantize(t.data, t.tensor_type).astype(np.float32).reshape(shape if len(shape) > 1 else [-1]))
    lora = {}
    for l in range(m["layers"]):
        for name in ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"):
            out, inp = weights[f"blk.{l}.{name}.weight"].shape
            a = torch.empty(rank, inp).uniform_(-1 / inp ** 0.5, 1 / inp ** 0.5).requires_grad_()
            b = torch.zeros(out, rank, requires_grad=True)
            lora[(l, name)] = (a, b)
    return m, weights, lora


def torch_loss(m, weights, lora, ids, loss_start, rank, alpha):
    import torch

    gemma = m["arch"] == "gemma3"
    d, heads, kv, hd, eps = m["d"], m["heads"], m["kv"], m["hd"], m["eps"]
    inputs = torch.tensor(ids[:-1])
    n = len(inputs)
    pos = torch.arange(n, dtype=torch.float32)
    scale = alpha / rank

    def rms(x, w):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + eps) * w

    def rope(v, base):
        angles = pos[:, None] * base ** (-torch.arange(0, hd, 2, dtype=torch.float32) / hd)[None, :]
        cos, sin = torch.cos(angles)[:, None, :], torch.sin(angles)[:, None, :]
        if gemma:
            a, b = v[..., : hd // 2], v[..., hd // 2:]
            return torch.cat([a * cos - b * sin, a * sin + b * cos], -1)
        a, b = v[..., 0::2], v[..., 1::2]
        return torch.stack([a * cos - b * sin, a * sin + b * cos], -1).reshape(v.shape)

    def project(x, l, name):
        a, b = lora[(l, name)]
        return x @ weights[f"blk.{l}.{name}.weight"].T + scale * (x @ a.T) @ b.T

    x = weights["token_embd.weight"][inputs] * (d ** 0.5 if gemma else 1.0)
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    for l in range(m["layers"]):
        w = lambda name: weights[f"blk.{l}.{name}.weight"]
        local = gemma and m["window"] and l % 6 < 5
        mask = causal & (torch.arange(n)[None, :] > torch.arange(n)[:, None] - m["window"]) if local else causal
        h = rms(x, w("attn_norm"))
        q = project(h, l, "attn_q").view(n, heads, hd)
        k = project(h, l, "attn_k").view(n, kv, hd)
        v = project(h, l, "attn_v").view(n, kv, hd)
        if gemma:
            q, k = rms(q, w("attn_q_norm")), rms(k, w("attn_k_norm"))
        base = 10000.0 if local else m["base"]
        q, k = rope(q, base), rope(k, base)
        k, v = k.repeat_interleave(heads // kv, 1), v.repeat_interleave(heads // kv, 1)
        attended = torch.nn.functional.scaled_dot_product_attention(
            q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1), attn_mask=mask).transpose(0, 1).reshape(n, heads * hd)
        out = project(attended, l, "attn_output")
        x = x + (rms(out, w("post_attention_norm")) if gemma else out)
        h = rms(x, w("ffn_norm"))
        gate, up = project(h, l, "ffn_gate"), project(h, l, "ffn_up")
        act = torch.nn.functional.gelu(gate, approximate="tanh") if gemma else torch.nn.functional.silu(gate)
        out = project(act * up, l, "ffn_down")
        x = x + (rms(out, w("post_ffw_norm")) if gemma else out)
    logits = rms(x, weights["output_norm.weight"])[loss_start - 1:] @ weights.get("output.weight", weights["token_embd.weight"]).T
    return torch.nn.functional.cross_entropy(logits, torch.tensor(ids[loss_start:]), reduction="sum")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-tokens", type=int, default=2048)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--rank", type=int, default=8)
    args = parser.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    rows = [json.loads(line) for line in open(SHARED / "alpaca-eval.jsonl")][200:200 + 40 * args.steps]
    data = Path(tempfile.mkdtemp()) / "responses.jsonl"
    data.write_text("".join(json.dumps({"output": r["reference"]}) + "\n" for r in rows))
    path = poe("models", "path", args.model).stdout.strip().splitlines()[-1]
    alpha = 2.0 * args.rank

    # swift-poe: the log gives each step's tokens and time.
    log = data.with_suffix(".log")
    start = time.perf_counter()
    run = poe("train", "--model", args.model, "--data", str(data), "--format", "response", "--out", str(data.with_suffix(".gguf")),
              "--steps", str(args.steps), "--batch-tokens", str(args.batch_tokens), "--max-length", str(args.max_length),
              "--rank", str(args.rank), "--eval-fraction", "0", "--threads", str(args.threads), "--log", str(log))
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    ours = sum(l["tokens"] for l in lines[1:]) / sum(l["tokens"] / l["tokens_per_s"] for l in lines[1:])
    ours_peak = run.stderr.strip().splitlines()[-1].split("peak memory ")[-1]

    # PyTorch: the same sequences (tokenized as poe tokenizes them), the same steps.
    m, weights, lora = torch_model(path, args.rank, alpha)
    optimizer = torch.optim.AdamW([p for pair in lora.values() for p in pair], lr=2e-4, weight_decay=0)
    examples = []
    for r in rows:
        ids = json.loads(poe("tokenize", "--model", args.model, "--json", r["reference"]).stdout)
        eos = json.loads(poe("inspect", args.model, "--json").stdout)["metadata"].get("tokenizer.ggml.eos_token_id")
        examples.append((ids + [eos])[: args.max_length])
    steps, current, tokens = [], [], 0
    for ids in examples:
        if current and tokens + len(ids) > args.batch_tokens:
            steps.append(current)
            current, tokens = [], 0
        current.append(ids)
        tokens += len(ids)
    timed_tokens, timed_seconds = 0, 0.0
    for step, batch in enumerate(steps[: args.steps]):
        begin = time.perf_counter()
        optimizer.zero_grad()
        count = sum(len(ids) - 1 for ids in batch)
        for ids in batch:
            (torch_loss(m, weights, lora, ids, 1, args.rank, alpha) / count).backward()
        optimizer.step()
        if step > 0:
            timed_seconds += time.perf_counter() - begin
            timed_tokens += sum(len(ids) for ids in batch)
    theirs = timed_tokens / timed_seconds
    torch_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"{args.model}: LoRA rank {args.rank} on every projection, {args.batch_tokens} tokens a step, sequences up to {args.max_length}, "
          f"{args.threads} threads")
    print(f"  swift-poe {ours:7.1f} tokens/s   PyTorch {torch.__version__} {theirs:7.1f} tokens/s   ratio {ours / theirs:.2f}")
    print(f"  peak resident memory: swift-poe {ours_peak}, PyTorch {torch_peak / 1048576:.0f} MiB")


if __name__ == "__main__":
    main()
