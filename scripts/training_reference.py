#!/usr/bin/env python3
"""Write the gradient fixtures `poe train`'s tests compare against: the LoRA gradients of a real model's
first layers, computed by JAX's automatic differentiation in float64 from the same GGUF file (weights
dequantized by gguf-py), written independently of swift-poe's code.

    python3 -m pip install "jax[cpu]" gguf==0.19.0 numpy llama-cpp-python==0.3.36
    python3 scripts/training_reference.py

Before writing, the script checks its own gradients against central finite differences in float64 on a
tiny random model (jax.test_util.check_grads), so the reference is itself checked.

The adapter's values come from a formula both sides compute (float64 sines, rounded to float32):
  A[p][k] = 0.5 / sqrt(inputs) * sin(0.7 + 1.3 p + 0.917 k),  B[p][k] = 0.02 * cos(0.3 + 0.7 p + 0.613 k)
for pair p (layers in order, then q, k, v, o, gate, up, down) and flat index k of A (rank, inputs) or
B (outputs, rank). Gradients are compared through per-pair norms, a few entries, and projections on
u[k] = sin(0.11 k + 0.5).

Fixtures written: Tests/PoETrainingTests/Fixtures/gradients-<model>.json

    python3 scripts/training_reference.py trained

instead trains a response-tuning adapter with `poe train` on SmolLM2 (40 steps on six short responses, as
TrainCommandTests does) and compares the logits llama.cpp gives with it to those `poe logits --lora` gives:
the adapter `poe train` writes must mean the same to llama.cpp (mean KL < 0.01).
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "PoETrainingTests" / "Fixtures"
sys.path.insert(0, str(ROOT / "scripts"))

LAYERS = 2
RANK = 4
ALPHA = 8.0
PROJECTIONS = [("attn_q", "q"), ("attn_k", "k"), ("attn_v", "v"), ("attn_output", "o"), ("ffn_gate", "gate"), ("ffn_up", "up"),
               ("ffn_down", "down")]
TEXT = "Here are three tips for staying focused: take short breaks, put the phone away, and set one goal at a time."
LOSS_START = 6


def formula_a(p, rank, inputs):
    k = np.arange(rank * inputs, dtype=np.float64)
    return (0.5 / np.sqrt(inputs) * np.sin(0.7 + 1.3 * p + 0.917 * k)).astype(np.float32).astype(np.float64).reshape(rank, inputs)


def formula_b(p, outputs, rank):
    k = np.arange(outputs * rank, dtype=np.float64)
    return (0.02 * np.cos(0.3 + 0.7 * p + 0.613 * k)).astype(np.float32).astype(np.float64).reshape(outputs, rank)


def model_loss(weights, meta, lora, ids, targets, mask):
    """Mean cross-entropy of `targets` where `mask`, for a llama or gemma3 model given as float64 arrays."""
    import jax.numpy as jnp

    gemma = meta["arch"] == "gemma3"
    d, heads, kv_heads, hd, eps = meta["d"], meta["heads"], meta["kv_heads"], meta["hd"], meta["eps"]
    n = len(ids)
    positions = np.arange(n, dtype=np.float64)
    scale = ALPHA / RANK

    def rms(x, w):
        return x / jnp.sqrt((x * x).mean(-1, keepdims=True) + eps) * w

    def rope(v, base):
        angles = positions[:, None] * base ** (-np.arange(0, hd, 2) / hd)[None, :]
        cos, sin = jnp.cos(angles)[:, None, :], jnp.sin(angles)[:, None, :]
        if gemma:
            a, b = v[..., : hd // 2], v[..., hd // 2:]
            return jnp.concatenate([a * cos - b * sin, a * sin + b * cos], axis=-1)
        a, b = v[..., 0::2], v[..., 1::2]
        return jnp.stack([a * cos - b * sin, a * sin + b * cos], axis=-1).reshape(v.shape)

    def project(x, layer, name):
        y = x @ weights[f"blk.{layer}.{name}.weight"].T
        key = (layer, name)
        if key in lora:
            a, b = lora[key]
            y = y + scale * (x @ a.T) @ b.T
        return y

    x = weights["token_embd.weight"][np.array(ids)] * (np.sqrt(d) if gemma else 1.0)
    causal = np.arange(n)[None, :] <= np.arange(n)[:, None]
    for layer in range(meta["layers"]):
        w = lambda name: weights[f"blk.{layer}.{name}.weight"]
        local = gemma and meta["window"] and layer % 6 < 5
        base = 10000.0 if local else meta["rope_base"]
        mask_l = causal & (np.arange(n)[None, :] > np.arange(n)[:, None] - meta["window"]) if local else causal
        h = rms(x, w("attn_norm"))
        q = project(h, layer, "attn_q").reshape(n, heads, hd)
        k = project(h, layer, "attn_k").reshape(n, kv_heads, hd)
        v = project(h, layer, "attn_v").reshape(n, kv_heads, hd)
        if gemma:
            q, k = rms(q, w("attn_q_norm")), rms(k, w("attn_k_norm"))
        q, k = rope(q, base), rope(k, base)
        group = heads // kv_heads
        outs = []
        for head in range(heads):
            s = q[:, head] @ k[:, head // group].T / np.sqrt(hd)
            s = jnp.where(mask_l, s, -jnp.inf)
            p = jnp.exp(s - s.max(1, keepdims=True))
            outs.append((p / p.sum(1, keepdims=True)) @ v[:, head // group])
        out = project(jnp.concatenate(outs, axis=-1), layer, "attn_output")
        x = x + (rms(out, w("post_attention_norm")) if gemma else out)
        h = rms(x, w("ffn_norm"))
        gate, up = project(h, layer, "ffn_gate"), project(h, layer, "ffn_up")
        if gemma:
            act = 0.5 * gate * (1 + jnp.tanh(np.sqrt(2 / np.pi) * (gate + 0.044715 * gate ** 3)))
        else:
            act = gate / (1 + jnp.exp(-gate))
        out = project(act * up, layer, "ffn_down")
        x = x + (rms(out, w("post_ffw_norm")) if gemma else out)
    h = rms(x, weights["output_norm.weight"])
    logits = h @ weights["output.weight" if "output.weight" in weights else "token_embd.weight"].T
    lse = jnp.log(jnp.exp(logits - logits.max(1, keepdims=True)).sum(1)) + logits.max(1)
    picked = logits[np.arange(n), np.array(targets)]
    return ((lse - picked) * mask).sum() / mask.sum()


def lora_for(meta, shapes):
    """The formula adapter on every projection of every layer: {(layer, name): (A, B)} and the pair order."""
    lora, order = {}, []
    p = 0
    for layer in range(meta["layers"]):
        for name, _ in PROJECTIONS:
            outputs, inputs = shapes[f"blk.{layer}.{name}.weight"]
            lora[(layer, name)] = (formula_a(p, RANK, inputs), formula_b(p, outputs, RANK))
            order.append((layer, name))
            p += 1
    return lora, order


def check_reference_with_finite_differences():
    """JAX's gradients against central differences, in float64, on a tiny random llama and gemma3."""
    import jax
    from jax.test_util import check_grads

    rng = np.random.default_rng(3)
    for arch in ("llama", "gemma3"):
        meta = dict(arch=arch, d=16, heads=4, kv_heads=2, hd=8, eps=1e-6, layers=2, rope_base=10000.0, window=3)
        vocab, ffn = 30, 24
        weights = {"token_embd.weight": rng.standard_normal((vocab, 16)), "output_norm.weight": 1 + 0.1 * rng.standard_normal(16)}
        for l in range(2):
            shapes = {"attn_q": (32, 16), "attn_k": (16, 16), "attn_v": (16, 16), "attn_output": (16, 32), "ffn_gate": (ffn, 16),
                      "ffn_up": (ffn, 16), "ffn_down": (16, ffn)}
            for name, shape in shapes.items():
                weights[f"blk.{l}.{name}.weight"] = 0.3 * rng.standard_normal(shape)
            for name in ("attn_norm", "ffn_norm", "post_attention_norm", "post_ffw_norm"):
                weights[f"blk.{l}.{name}.weight"] = 1 + 0.1 * rng.standard_normal(16)
            for name in ("attn_q_norm", "attn_k_norm"):
                weights[f"blk.{l}.{name}.weight"] = 1 + 0.1 * rng.standard_normal(8)
        shapes = {k: v.shape for k, v in weights.items()}
        lora, order = lora_for(meta, shapes)
        ids = list(rng.integers(0, vocab, 12))
        targets = list(rng.integers(0, vocab, 12))
        mask = np.array([float(i % 2 == 0) for i in range(12)])
        flat = [lora[key][i] for key in order for i in (0, 1)]

        def loss(*parameters):
            values = {key: (parameters[2 * i], parameters[2 * i + 1]) for i, key in enumerate(order)}
            return model_loss(weights, meta, values, ids, targets, mask)

        check_grads(loss, flat, order=1, modes=["rev"], eps=1e-5, atol=1e-7, rtol=1e-6)
        print(f"  JAX gradients equal finite differences on a tiny {arch} model")


def make_fixture(model):
    import jax
    from gguf import GGUFReader
    from gguf.quants import dequantize
    import llama_cpp

    path = subprocess.check_output([str(ROOT / ".build" / "release" / "poe"), "models", "path", model], text=True).strip().splitlines()[-1]
    reader = GGUFReader(path)
    field = lambda key: reader.fields[key].contents()
    arch = field("general.architecture")
    has = lambda key: key in reader.fields
    meta = dict(
        arch=arch, d=field(f"{arch}.embedding_length"), heads=field(f"{arch}.attention.head_count"),
        kv_heads=field(f"{arch}.attention.head_count_kv"), eps=field(f"{arch}.attention.layer_norm_rms_epsilon"), layers=LAYERS,
        rope_base=field(f"{arch}.rope.freq_base") if has(f"{arch}.rope.freq_base") else 10000.0,
        window=field(f"{arch}.attention.sliding_window") if arch == "gemma3" else None)
    meta["hd"] = field(f"{arch}.attention.key_length") if has(f"{arch}.attention.key_length") else meta["d"] // meta["heads"]
    weights, shapes = {}, {}
    for t in reader.tensors:
        if t.name.startswith("blk.") and int(t.name.split(".")[1]) >= LAYERS:
            continue
        shape = [int(n) for n in reversed(t.shape)]
        weights[t.name] = dequantize(t.data, t.tensor_type).astype(np.float64).reshape(shape if len(shape) > 1 else [-1])
        shapes[t.name] = weights[t.name].shape
    llm = llama_cpp.Llama(model_path=path, vocab_only=True, verbose=False)
    ids = llm.tokenize(TEXT.encode(), add_bos=True, special=False)
    inputs, targets = ids[:-1], ids[1:]
    mask = np.array([float(i + 1 >= LOSS_START) for i in range(len(inputs))])
    lora, order = lora_for(meta, shapes)
    flat = [lora[key][i] for key in order for i in (0, 1)]

    def loss(parameters):
        values = {key: (parameters[2 * i], parameters[2 * i + 1]) for i, key in enumerate(order)}
        return model_loss(weights, meta, values, inputs, targets, mask)

    value, gradients = jax.value_and_grad(loss)(flat)
    pairs = []
    for i, (layer, name) in enumerate(order):
        entry = {"tensor": f"blk.{layer}.{name}.weight"}
        for half, gradient in (("a", np.asarray(gradients[2 * i])), ("b", np.asarray(gradients[2 * i + 1]))):
            g = gradient.reshape(-1)
            u = np.sin(0.11 * np.arange(g.size) + 0.5)
            entry[f"norm_{half}"] = float(np.linalg.norm(g))
            entry[f"projection_{half}"] = float(g @ u)
            entry[f"first_{half}"] = [float(x) for x in g[:4]]
        pairs.append(entry)
    fixture = {
        "generator": "scripts/training_reference.py (JAX float64 automatic differentiation, gguf-py weights)",
        "model": model, "layers": LAYERS, "rank": RANK, "alpha": ALPHA, "tokens": [int(t) for t in ids], "loss_start": LOSS_START,
        "loss": float(value), "pairs": pairs,
    }
    FIXTURES.mkdir(parents=True, exist_ok=True)
    out = FIXTURES / f"gradients-{model}.json"
    out.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT)}: loss {value:.6f}, {len(pairs)} pairs")


def compare_trained_adapter():
    """`poe train` on SmolLM2, then llama.cpp with the adapter against `poe logits --lora`, over the full
    vocabulary at every position of three texts."""
    import tempfile
    from llama_reference import llama_with_lora

    poe = str(ROOT / ".build" / "release" / "poe")
    work = Path(tempfile.mkdtemp())
    responses = ["Paris is the capital of France.", "Water boils at 100 degrees Celsius at sea level.",
                 "The sky looks blue because air scatters blue light.", "Three primary colours are red, yellow and blue.",
                 "A haiku has three lines of five, seven and five syllables.", "To stay focused, take short breaks and put your phone away."]
    (work / "data.jsonl").write_text("".join(json.dumps({"output": r}) + "\n" for r in responses))
    adapter = work / "adapter.gguf"
    subprocess.run([poe, "train", "--model", "smollm2-135m-instruct", "--data", str(work / "data.jsonl"), "--format", "response",
                    "--out", str(adapter), "--steps", "40", "--batch-tokens", "64", "--learning-rate", "2e-3", "--eval-fraction", "0",
                    "--log", str(work / "log.jsonl")], check=True, capture_output=True)
    losses = [json.loads(line)["loss"] for line in (work / "log.jsonl").read_text().splitlines()]
    print(f"  poe train: mean loss of the first five steps {np.mean(losses[:5]):.4f}, of the last five {np.mean(losses[-5:]):.4f}")
    path = subprocess.check_output([poe, "models", "path", "smollm2-135m-instruct"], text=True).strip().splitlines()[-1]
    llm = llama_with_lora(path, adapter, 1.0)
    kls, same, count = [], 0, 0
    for text in ["Paris is the capital of France.", "Here are three tips for staying focused while studying:",
                 "The quick brown fox jumps over the lazy dog."]:
        ids = llm.tokenize(text.encode(), add_bos=True, special=False)
        llm.reset()
        llm.eval(ids)
        theirs = np.array(llm.scores[: len(ids)], dtype=np.float64)
        lines = subprocess.check_output([poe, "logits", "--model", "smollm2-135m-instruct", "--lora", str(adapter), "--ids",
                                         ",".join(map(str, ids)), "--positions", "all", "--top", "49152", "--json"], text=True).splitlines()
        for position, line in enumerate(lines):
            row = json.loads(line)
            ours = np.full(theirs.shape[1], -np.inf)
            for token, logit in row["top"]:
                ours[token] = logit - row["logsumexp"]
            p = theirs[position] - (theirs[position].max() + np.log(np.exp(theirs[position] - theirs[position].max()).sum()))
            kls.append(float((np.exp(p) * (p - ours)).sum()))
            same += int(np.argmax(p) == np.argmax(ours))
            count += 1
    print(f"  the trained adapter, llama.cpp vs poe logits --lora: mean KL {np.mean(kls):.5f}, top-1 {same}/{count}")


def main():
    if sys.argv[1:] == ["trained"]:
        return compare_trained_adapter()
    import jax
    jax.config.update("jax_enable_x64", True)
    check_reference_with_finite_differences()
    for model in ("smollm2-135m-instruct", "gemma-3-270m"):
        make_fixture(model)


if __name__ == "__main__":
    main()
