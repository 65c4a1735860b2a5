#!/usr/bin/env python3
"""Write the fixtures swift-poe's tests compare against, computed by llama.cpp and gguf-py.

This script is the only source of the numbers in Tests/*/Fixtures. It needs llama-cpp-python (which
builds llama.cpp from PyPI) and gguf (gguf-py):

    python3 -m pip install llama-cpp-python==0.3.36 gguf==0.19.0 numpy
    python3 scripts/llama_reference.py all

Models are located with the project's own command (`poe models path NAME`), so they are the same
files the tests load.

Fixtures written:
  Fixtures/dequantization.json        rows of real tensors and synthetic blocks, dequantized by gguf-py
  Fixtures/tokenizer/cases.json       the texts the tokenizer fixtures use
  Fixtures/tokenizer/<name>.json      llama.cpp's ids for each text, and its decoding where that differs
  Fixtures/generation/<model>.json    greedy generations with the paper's rules, implemented here in numpy over
                                      llama.cpp's logits, for every Hewitt instruction
  Fixtures/<model>/vocabulary.json    special ids and the end-of-generation set, from llama.cpp
  Fixtures/<model>/logits.json        top-k logits and logsumexp per position: llama.cpp (a whole prompt,
                                      and one token at a time) and an independent float64 forward pass
  Fixtures/<model>/lora.gguf          a random LoRA adapter (rank 4 on every projection of every third
                                      layer; F32, with one pair each in F16, BF16 and Q8_0/F16), by gguf-py
  Fixtures/architectures/<case>.gguf  a small random-weight model of each architecture (tiny_models.py),
                                      without its tokenizer and embeddings, which the test adds back
  Fixtures/architectures/<case>.json  its logits at every position: llama.cpp (a prompt, and one token at
                                      a time) and the float64 pass
  Fixtures/<model>/lora-logits.json   as logits.json, with that adapter at scale LORA_SCALE: llama.cpp (a
                                      prompt, and one token at a time) and the float64 pass on merged weights
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "PoETransformerTests" / "Fixtures"
RULES_FIXTURES = ROOT / "Tests" / "PoERulesTests" / "Fixtures"
SHARED = ROOT.parent / "shared" / "data"
MODELS = ["gemma-3-270m", "smollm2-135m-instruct"]
# llama.cpp's own tokenizer test vocabularies (vocabulary-only GGUF files), fetched like the models.
VOCABULARIES = ["vocab-llama-spm", "vocab-phi-3", "vocab-gpt-2", "vocab-mpt", "vocab-llama-bpe", "vocab-qwen2",
                "vocab-refact", "vocab-starcoder", "vocab-command-r"]

# Texts that hold chat tags, tokenized with and without special-token parsing.
CHAT_TEXTS = [
    "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n",
    "<bos>Hello</s><eos> <pad><mask><unused0>",
    "<|user|>\nName three colors.\n<|assistant|>\n",
    "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|><repo_name>poe<file_sep>main.swift<|endoftext|>",
    "<s>[INST] Tell me a joke. [/INST] Sure!</s>",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "<|START_OF_TURN_TOKEN|><|USER_TOKEN|>Hi<|END_OF_TURN_TOKEN|>",
    "<table><tr><td>1</td></tr></table>  indented\n\n\ttabbed   end",
    "<|end|> trailing spaces after a tag <|end|>   x",
]
ALPACA_CASES = 200
# The paper's uniform token changes, by text (the tokens the reference code changes; see PoERules/Presets.swift).
PAPER_TOKEN_CHANGES = [("<", -4), (" <", -4), ("|", -4), (" I", -5), ("I", -5), ("What", -5), (" We", -3),
                       (" should", -6), (" -", 1), (" *", 1), ("   ", 1), (" #", 1), (" ##", 1), ("\n", 1), ("!", 1)]
GENERATION_TOKENS = {"gemma-3-270m": 300, "smollm2-135m-instruct": 200}
# The float64 and recomputed references are slow (numpy; a whole prompt per step): the first instructions only.
EXTRA_REFERENCES = 20  # the first AlpacaEval items, instruction and reference, for the two models
BIG_TEXT_BYTES = 1_000_000

# Logits fixtures: how many of the largest logits to keep per position, and the length of the long sequence
# (longer than twice Gemma 3's 512-token sliding window, so local layers really slide).
TOP_K = 40
LONG_TOKENS = {"gemma-3-270m": 1200, "smollm2-135m-instruct": 800}


def model_path(name):
    poe = os.environ.get("POE")
    command = [poe] if poe else ["swift", "run", "-c", "release", "--package-path", str(ROOT), "poe"]
    result = subprocess.run(command + ["models", "path", name], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"cannot locate {name}: {result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1]


def load_llama(path, n_ctx=4096, **options):
    from llama_cpp import Llama

    settings = dict(n_ctx=n_ctx, n_batch=512, logits_all=True, verbose=False, seed=0, n_threads=2)
    return Llama(model_path=path, **{**settings, **options})


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write_json(path, value):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KiB)")


def f32(values):
    """Float32 values written as the float64 of the same value, so they read back exactly."""
    return [float(v) for v in np.asarray(values, dtype=np.float32)]


# --- dequantization -------------------------------------------------------------------------------

# Byte offsets of each block's f16 scale fields; synthetic blocks put finite halves there.
HALF_FIELDS = {
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
    "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
}
SYNTHETIC_TYPES = ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q4_K", "Q5_K", "Q6_K"]


def synthetic_blocks(type_name, rng, blocks=8):
    from gguf import GGMLQuantizationType, GGML_QUANT_SIZES
    from gguf.quants import dequantize

    qtype = GGMLQuantizationType[type_name]
    block_elements, block_bytes = GGML_QUANT_SIZES[qtype]
    if type_name == "F32":
        raw = rng.standard_normal(blocks * 32).astype("<f4").view(np.uint8)
        values = raw.view("<f4")
    elif type_name in ("F16", "BF16"):
        bits = rng.integers(0, 1 << 16, size=blocks * 32, dtype=np.uint16)
        exponent_all_ones = (bits & 0x7C00) == 0x7C00 if type_name == "F16" else (bits & 0x7F80) == 0x7F80
        bits[exponent_all_ones] ^= 0x4000  # no infinities or NaNs
        raw = bits.astype("<u2").view(np.uint8)
        values = raw.view("<f2").astype(np.float32) if type_name == "F16" else (bits.astype(np.uint32) << 16).view(np.float32)
    else:
        raw = rng.integers(0, 256, size=(blocks, block_bytes), dtype=np.uint8)
        for offset in HALF_FIELDS[type_name]:
            halves = (rng.standard_normal(blocks) * 0.05).astype("<f2")
            raw[:, offset:offset + 2] = halves.view(np.uint8).reshape(blocks, 2)
        raw = raw.reshape(-1)
        values = dequantize(raw, qtype).reshape(-1)
    return {"type": type_name, "bytes": raw.tobytes().hex(), "values": f32(values)}


def real_rows(model, path, rng):
    """For each tensor type in the file: two tensors, two rows each, the first 256 values of each row."""
    from gguf import GGUFReader
    from gguf.quants import dequantize

    reader = GGUFReader(path)
    by_type = {}
    for tensor in reader.tensors:
        by_type.setdefault(tensor.tensor_type.name, []).append(tensor)
    rows = []
    for type_name, tensors in sorted(by_type.items()):
        for tensor in [tensors[0], tensors[-1]][: len(tensors)]:
            row_count = int(np.prod(tensor.shape[1:]))
            data = tensor.data.reshape(row_count, -1)
            for row in sorted({0, int(rng.integers(0, row_count))}):
                values = dequantize(np.ascontiguousarray(data[row]).reshape(-1).view(np.uint8), tensor.tensor_type).reshape(-1)
                rows.append({
                    "model": model, "tensor": tensor.name, "type": type_name, "row": row,
                    "values": f32(values[:256]),
                })
    return rows


def make_dequantization(paths):
    rng = np.random.default_rng(20241121)
    fixture = {
        "generator": "scripts/llama_reference.py dequant (gguf-py)",
        "synthetic": [synthetic_blocks(t, rng) for t in SYNTHETIC_TYPES],
        "rows": [row for model in MODELS for row in real_rows(model, paths[model], rng)],
    }
    write_json(FIXTURES / "dequantization.json", fixture)


# --- vocabulary -----------------------------------------------------------------------------------

def make_vocabulary(model, llm):
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
    n = llama_cpp.llama_vocab_n_tokens(vocab)

    def special(token):
        return None if token < 0 else int(token)

    fixture = {
        "generator": f"scripts/llama_reference.py vocab (llama-cpp-python {llama_cpp.__version__})",
        "size": n,
        "bos": special(llama_cpp.llama_vocab_bos(vocab)),
        "eos": special(llama_cpp.llama_vocab_eos(vocab)),
        "end_of_generation": [i for i in range(n) if llama_cpp.llama_vocab_is_eog(vocab, i)],
        "add_bos": bool(llama_cpp.llama_vocab_get_add_bos(vocab)),
        "context_length": llm._model.n_ctx_train(),
    }
    write_json(FIXTURES / model / "vocabulary.json", fixture)


# --- logits ---------------------------------------------------------------------------------------

def sequences(model, llm):
    """(name, ids) pairs: a Tulu prompt, a reference answer, mixed scripts, no BOS, and a long text."""
    val = read_jsonl(SHARED / "hewitt-val.jsonl")
    corpus = json.load(open(SHARED / "tokenizer-corpus.json", encoding="utf-8"))

    def ids(text, bos=True):
        return llm.tokenize(text.encode("utf-8"), add_bos=bos, special=False)

    long_text = "\n\n".join(item["reference"] for item in val)
    long_ids = ids(long_text)[: LONG_TOKENS[model]]
    assert len(long_ids) == LONG_TOKENS[model], "the references are too short for the long sequence"
    return [
        ("tulu-prompt", ids(f"<|user|>\n{val[0]['instruction']}\n<|assistant|>\n")),
        ("reference", ids(val[1]["reference"])),
        ("mixed-scripts", ids(max(corpus, key=len))),
        ("no-bos", ids("The capital of France is Paris. The capital of Germany is", bos=False)),
        ("long", long_ids),
    ]


def sampled_positions(n):
    """Every position of a short sequence; for a long one the first 48, every 6th after, and the last 16."""
    if n <= 128:
        return list(range(n))
    return sorted(set(range(48)) | set(range(48, n, 6)) | set(range(n - 16, n)))


def log_sum_exp(row):
    m = row.max()
    return float(m + np.log(np.exp(row - m).sum()))


def distribution(rows, positions, ids_per_position=None, digits=4):
    """Top-k ids and logits (or the logits at given ids), logsumexp and argmax of each sampled row."""
    top_ids, top_logits, lse, argmax = [], [], [], []
    for index, p in enumerate(positions):
        row = rows[p]
        ids = ids_per_position[index] if ids_per_position else [int(i) for i in np.argsort(-row, kind="stable")[:TOP_K]]
        top_ids.append(ids)
        top_logits.append([round(float(row[i]), digits) for i in ids])
        lse.append(round(log_sum_exp(row), digits + 1))
        argmax.append(int(np.argmax(row)))
    return {"top_ids": top_ids, "top_logits": top_logits, "logsumexp": lse, "argmax": argmax}


def report_agreement(model, name, positions, exact_rows, prefill, decode):
    """Prints, over the full vocabulary, how far llama.cpp is from the float64 reference and from itself."""
    def log_softmax(row):
        return row - log_sum_exp(row)

    def compare(reference_rows, candidate_rows):
        kl, same = [], 0
        for p in positions:  # full rows: every vocabulary entry, no top-k binning
            ref, cand = log_softmax(reference_rows[p]), log_softmax(candidate_rows[p])
            kl.append(float((np.exp(ref) * (ref - cand)).sum()))
            same += int(np.argmax(ref) == np.argmax(cand))
        return f"mean KL {np.mean(kl):.5f}, top-1 {same}/{len(positions)}"

    print(f"  [{model} {name}] KL(llama.cpp prompt ‖ float64): {compare(prefill, exact_rows)}")
    print(f"  [{model} {name}] KL(llama.cpp prompt ‖ llama.cpp one token at a time): {compare(prefill, decode)}")


def llama_cpp_rows(llm, ids):
    """llama.cpp's logits at every position of `ids`: the whole sequence as one prompt (batches of 512), and
    again one token per decode step, its own second opinion, as far from the first as its 8-bit activation
    rounding makes it."""
    llm.reset()
    llm.eval(ids)
    prefill = np.array(llm.scores[: len(ids)], dtype=np.float64)
    llm.reset()
    for token in ids:
        llm.eval([token])
    decode = np.array(llm.scores[: len(ids)], dtype=np.float64)
    return prefill, decode


def logits_entry(model, label, name, ids, llm, exact):
    """One sequence of a logits fixture: llama.cpp as a prompt and one token at a time, and `exact` (a
    Float64Transformer) at the sampled positions, with their agreement printed."""
    positions = sampled_positions(len(ids))
    prefill, decode = llama_cpp_rows(llm, ids)
    # The float64 reference, at the sampled positions only (Gemma's logits are 262 144 wide).
    hidden = exact.hidden_states(ids)
    exact_rows = dict(zip(positions, exact.logits(hidden[positions])))

    report_agreement(model, label + name, positions, exact_rows, prefill, decode)
    reference = distribution(prefill, positions)
    print(f"  {model} {label}{name}: {len(ids)} tokens, {len(positions)} positions")
    return {
        "name": name, "ids": [int(i) for i in ids], "positions": positions,
        "llama_cpp": reference,
        "llama_cpp_decode": distribution(decode, positions, ids_per_position=reference["top_ids"]),
        "float64": distribution(exact_rows, positions, digits=6),
    }


def make_logits(model, llm, path):
    import llama_cpp
    from float64_transformer import Float64Transformer

    exact = Float64Transformer(path)
    entries = [logits_entry(model, "", name, ids, llm, exact) for name, ids in sequences(model, llm)]
    fixture = {
        "generator": f"scripts/llama_reference.py logits (llama-cpp-python {llama_cpp.__version__}, numpy float64)",
        "model": model,
        "top_k": TOP_K,
        "sequences": entries,
    }
    write_json(FIXTURES / model / "logits.json", fixture)


# --- LoRA adapters --------------------------------------------------------------------------------

LORA_RANK = 4
LORA_ALPHA = 8.0
LORA_SCALE = 0.75
# Each adapted product changes by about this share of its weight matrix (Frobenius norms), once scaled.
LORA_STRENGTH = 0.1
# Every projection of these layers (Gemma 3's global layers, 5, 11 and 17, among them).
LORA_LAYERS = lambda count: [l for l in range(count) if l % 3 == 2]
LORA_PROJECTIONS = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]


def write_lora(model, path, out, rank=LORA_RANK, alpha=LORA_ALPHA, scale=LORA_SCALE, strength=LORA_STRENGTH,
               layers=LORA_LAYERS, types=None, seed=7):
    """A random LoRA adapter for the model at `path`, in llama.cpp's format: for every projection of the
    chosen layers, A (rank, inputs) and B (outputs, rank), sized so that scale · alpha/rank · B A has
    `strength` times the Frobenius norm of the base matrix. `types(index)` gives (A type, B type) per pair;
    by default F32 (llama.cpp then adds the adapter without rounding, so its logits stay as close to the
    exact function as without one), with the first three pairs in F16, BF16 and Q8_0/F16 to cover them."""
    import gguf
    from float64_transformer import Float64Transformer

    base = Float64Transformer(path)
    rng = np.random.default_rng(seed)
    T = gguf.GGMLQuantizationType
    writer = gguf.GGUFWriter(str(out), base.arch)
    writer.add_type("adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", alpha)
    factor = scale * alpha / rank
    index = 0
    default_types = {0: (T.F16, T.F16), 1: (T.BF16, T.BF16), 2: (T.Q8_0, T.F16)}
    for layer in layers(base.layers):
        for projection in LORA_PROJECTIONS:
            name = f"blk.{layer}.{projection}.weight"
            w = base.weight(name)  # (outputs, inputs)
            a = rng.standard_normal((rank, w.shape[1])) / np.sqrt(w.shape[1])
            b = rng.standard_normal((w.shape[0], rank))
            b *= strength * np.linalg.norm(w) / (factor * np.linalg.norm(b @ a))
            a_type, b_type = types(index) if types else default_types.get(index, (T.F32, T.F32))
            for suffix, values, kind in ((".lora_a", a, a_type), (".lora_b", b, b_type)):
                values = values.astype(np.float32)
                if kind == T.F32:
                    writer.add_tensor(name + suffix, values)
                elif kind == T.F16:
                    writer.add_tensor(name + suffix, values.astype(np.float16))
                else:
                    writer.add_tensor(name + suffix, gguf.quants.quantize(values, kind), raw_dtype=kind)
            index += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"wrote {Path(out).relative_to(ROOT) if str(out).startswith(str(ROOT)) else out} ({Path(out).stat().st_size // 1024} KiB)")


class MergedLoRA:
    """A float64 model whose weights are W + scale · alpha/rank · B A, read from an adapter with gguf-py."""

    def __init__(self, base, adapter_path, scale):
        from gguf import GGUFReader
        from gguf.quants import dequantize

        reader = GGUFReader(adapter_path)
        alpha = float(reader.fields["adapter.lora.alpha"].contents())
        halves = {}
        for t in reader.tensors:
            shape = [int(n) for n in reversed(t.shape)]
            halves[t.name] = dequantize(t.data, t.tensor_type).astype(np.float64).reshape(shape)
        original = base.weight
        cache = {}

        def weight(name):
            if name not in cache:
                w = original(name)
                if name + ".lora_a" in halves:
                    a, b = halves[name + ".lora_a"], halves[name + ".lora_b"]
                    rank = b.shape[1]
                    w = w + scale * (alpha / rank if alpha else 1.0) * (b @ a)
                cache[name] = w
            return cache[name]

        base.weight = weight
        self.model = base


def make_lora(model, path):
    import llama_cpp
    from float64_transformer import Float64Transformer

    adapter = FIXTURES / model / "lora.gguf"
    adapter.parent.mkdir(parents=True, exist_ok=True)
    write_lora(model, path, adapter)
    llm = llama_with_lora(path, adapter, LORA_SCALE)
    exact = MergedLoRA(Float64Transformer(path), str(adapter), LORA_SCALE).model
    entries = [logits_entry(model, "lora ", name, ids, llm, exact) for name, ids in sequences(model, llm) if name != "long"]
    llm.close()
    write_json(FIXTURES / model / "lora-logits.json", {
        "generator": f"scripts/llama_reference.py lora (llama-cpp-python {llama_cpp.__version__}, numpy float64)",
        "model": model, "adapter": "lora.gguf", "scale": LORA_SCALE, "top_k": TOP_K, "sequences": entries,
    })


def llama_with_lora(path, adapter, scale, **options):
    """llama.cpp with one adapter at `scale`. llama-cpp-python 0.3.36 does not notice a failed adapter load
    (it checks for None, and gets a NULL pointer), so the adapter is loaded through the C API and checked."""
    import ctypes
    import llama_cpp

    llm = load_llama(path, **options)
    handle = llama_cpp.llama_adapter_lora_init(llm._model.model, str(adapter).encode())
    if not handle:
        sys.exit(f"llama.cpp could not load the adapter {adapter}")
    adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(handle)
    if llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, adapters, 1, (ctypes.c_float * 1)(scale)) != 0:
        sys.exit(f"llama.cpp could not apply the adapter {adapter}")
    return llm


# --- tokenizers -----------------------------------------------------------------------------------

def tokenizer_cases():
    """(case id, text, used by every tokenizer or only the two models)."""
    corpus = json.load(open(SHARED / "tokenizer-corpus.json", encoding="utf-8"))
    hewitt = read_jsonl(SHARED / "hewitt-val.jsonl")
    alpaca = read_jsonl(SHARED / "alpaca-eval.jsonl")[:ALPACA_CASES]
    cases = [(f"corpus/{i}", text, True) for i, text in enumerate(corpus)]
    cases += [(f"chat/{i}", text, True) for i, text in enumerate(CHAT_TEXTS)]
    cases += [(f"hewitt/{i}/instruction", item["instruction"], True) for i, item in enumerate(hewitt)]
    cases += [(f"hewitt/{i}/reference", item["reference"], False) for i, item in enumerate(hewitt)]
    cases += [(f"alpaca/{i}/{field}", item[field], False) for i, item in enumerate(alpaca) for field in ("instruction", "reference")]
    return cases


def big_text_recipe():
    """A text of at least 1 MB: the Hewitt references joined by blank lines, repeated."""
    hewitt = read_jsonl(SHARED / "hewitt-val.jsonl")
    unit = "\n\n".join(item["reference"] for item in hewitt) + "\n\n"
    repeat = -(-BIG_TEXT_BYTES // len(unit.encode("utf-8")))
    recipe = {"cases": [f"hewitt/{i}/reference" for i in range(len(hewitt))], "separator": "\n\n", "repeat": repeat}
    return recipe, unit * repeat


def fnv1a64(ids):
    """FNV-1a over the ids as little-endian 32-bit integers: a short fingerprint of a long id list."""
    h = 0xCBF29CE484222325
    for byte in np.asarray(ids, dtype="<i4").tobytes():
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def detokenize(llm, ids, special):
    import ctypes
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
    tokens = (llama_cpp.llama_token * max(len(ids), 1))(*ids)
    size = 64 + 8 * len(ids)
    while True:
        buffer = ctypes.create_string_buffer(size)
        n = llama_cpp.llama_detokenize(vocab, tokens, len(ids), buffer, size, False, special)
        if n >= 0:
            return buffer.raw[:n].decode("utf-8", errors="replace")
        size = -n + 1


def make_tokenizers(paths):
    from llama_cpp import Llama
    import llama_cpp

    cases = tokenizer_cases()
    write_json(FIXTURES / "tokenizer" / "cases.json", {
        "generator": "scripts/llama_reference.py tokenizer",
        "cases": [{"id": case, "text": text} for case, text, _ in cases],
    })
    recipe, big = big_text_recipe()
    for name in MODELS + VOCABULARIES:
        llm = Llama(model_path=paths[name], vocab_only=True, verbose=False)
        entries = []
        for case, text, everywhere in cases:
            if not everywhere and name not in MODELS:
                continue
            chat = case.startswith("chat/")
            for add_special, parse_special in [(False, False), (True, False)] + ([(False, True)] if chat else []):
                if add_special and not case.startswith("corpus/"):
                    continue
                ids = llm.tokenize(text.encode("utf-8"), add_bos=add_special, special=parse_special)
                entry = {"case": case, "add_special": add_special, "parse_special": parse_special, "ids": ids}
                decoded = detokenize(llm, ids, False)
                if decoded != text:
                    entry["decoded"] = decoded
                decoded_special = detokenize(llm, ids, True)
                if decoded_special != decoded:
                    entry["decoded_special"] = decoded_special
                entries.append(entry)
        big_ids = llm.tokenize(big.encode("utf-8"), add_bos=False, special=False)
        fixture = {
            "generator": f"scripts/llama_reference.py tokenizer (llama-cpp-python {llama_cpp.__version__})",
            "tokenizer": name,
            "entries": entries,
            "big_text": dict(recipe, count=len(big_ids), fnv1a64=fnv1a64(big_ids)),
        }
        write_json(FIXTURES / "tokenizer" / f"{name}.json", fixture)
        llm.close()


# --- generation with the paper's rules ------------------------------------------------------------

def paper_rule_scores(n, sequence, instruction_start, eos, uniform, vocab_size):
    """The reference's rule logits (open_instruct/combined_model.py, option eos-uniform-diversity):
    uniform changes; -1.5 once for every distinct id from the instruction on; EOS + 15·n/250 for 0 < n < 250."""
    scores = np.zeros(vocab_size, dtype=np.float64)
    for token, value in uniform:
        scores[token] = value
    for token in set(sequence[instruction_start:]):
        scores[token] -= 1.5
    if 0 < n < 250:
        scores[eos] += 3 * (5 * n / 250)
    return scores


def generate_with_paper_rules(next_logits, prompt, instruction_start, eos, uniform, vocab_size, is_eog, max_tokens):
    """Greedy decoding of log_softmax(base) + the reference's rule logits. `next_logits(sequence)` gives the
    base model's logits after a sequence that grows by one token per call."""
    sequence, tokens, margins, stop = list(prompt), [], [], "length"
    while len(tokens) < max_tokens:
        logits = next_logits(sequence)
        combined = logits - log_sum_exp(logits) + paper_rule_scores(len(tokens), sequence, instruction_start, eos, uniform, vocab_size)
        top2 = np.argsort(-combined, kind="stable")[:2]
        token = int(top2[0])
        margins.append(round(float(combined[top2[0]] - combined[top2[1]]), 5))
        tokens.append(token)
        if is_eog(token):
            stop = "eos"
            break
        sequence.append(token)
    return {"tokens": tokens, "margins": margins, "stop_reason": stop}


def make_generations(model, llm, path):
    """Three references per instruction, each the same rules over another base: llama.cpp one token at a
    time (the usual decode path); llama.cpp re-running the whole sequence at every step (a second llama.cpp
    path, to measure its own noise); and the float64 forward pass (no noise to speak of)."""
    import llama_cpp
    from float64_transformer import Float64Cache, Float64Transformer

    vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
    vocab_size = llama_cpp.llama_vocab_n_tokens(vocab)
    eos = llama_cpp.llama_vocab_eos(vocab)
    is_eog = lambda token: bool(llama_cpp.llama_vocab_is_eog(vocab, token))
    uniform, rule_tokens = [], {}
    for text, value in PAPER_TOKEN_CHANGES:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        assert len(ids) == 1, f"{text!r} is not one token for {model}: {ids}"
        uniform.append((ids[0], value))
        rule_tokens[text] = ids[0]
    exact = Float64Transformer(path)
    hewitt = read_jsonl(SHARED / "hewitt-val.jsonl")
    max_tokens = GENERATION_TOKENS[model]
    generations = []
    for index, item in enumerate(hewitt):
        prefix = "<|user|>\n"
        prompt = llm.tokenize((prefix + item["instruction"] + "\n<|assistant|>\n").encode("utf-8"), add_bos=True, special=False)
        instruction_start = len(llm.tokenize(prefix.encode("utf-8"), add_bos=True, special=False))
        run = lambda next_logits: generate_with_paper_rules(
            next_logits, prompt, instruction_start, eos, uniform, vocab_size, is_eog, max_tokens)

        def llama_decode(sequence):
            llm.eval(sequence[llm.n_tokens:])
            return np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)

        def llama_recompute(sequence):
            llm.reset()
            llm.eval(sequence)
            return np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)

        cache = Float64Cache(exact.layers)

        def float64(sequence):
            hidden = exact.forward(sequence[cache.length:], cache)
            return exact.logits(hidden[-1:])[0]

        llm.reset()
        entry = {"instruction": index, "prompt": prompt, "instruction_start": instruction_start, "llama_cpp": run(llama_decode)}
        if index < EXTRA_REFERENCES:
            entry["llama_cpp_recompute"] = run(llama_recompute)
            entry["float64"] = run(float64)
        generations.append(entry)
        same = lambda key: "-" if key not in entry else ("same" if entry[key]["tokens"] == entry["llama_cpp"]["tokens"] else "different")
        print(f"  {model} instruction {index}: {len(entry['llama_cpp']['tokens'])} tokens ({entry['llama_cpp']['stop_reason']}); "
              f"recomputed {same('llama_cpp_recompute')}; float64 {same('float64')}")
    write_json(RULES_FIXTURES / "generation" / f"{model}.json", {
        "generator": f"scripts/llama_reference.py generation (llama-cpp-python {llama_cpp.__version__}, numpy float64, rules in numpy)",
        "model": model, "template": "tulu", "max_tokens": max_tokens, "eos": eos, "rule_tokens": rule_tokens,
        "generations": generations,
    })


# --- Architectures: small random-weight models of every family ------------------------------------

ARCHITECTURE_TEXT = ("The quick brown fox jumps over the lazy dog. In 1492, Columbus sailed the ocean blue; "
                     "what's 17 + 25? Let's see: forty-two! The end of the story is near, and so is the start. "
                     "Rivers run to the sea, yet the sea is never full; the wind goes round and round again.")
ARCHITECTURE_TOKENS = 64  # eight sliding windows of 8 tokens, so local layers really slide


def make_architectures():
    """Per case of tiny_models.CASES: the model without tokenizer and embeddings (the test rebuilds the rest),
    and llama.cpp's logits at every position, as a prompt and one token at a time, with the float64 pass's."""
    import tempfile

    import llama_cpp
    from float64_transformer import Float64Transformer
    from llama_cpp import Llama
    from tiny_models import CASES, LONGROPE_ORIGINAL_CONTEXT, TinyModel

    out = FIXTURES / "architectures"
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="poe-architectures-"))
    for case, (arch, vocab, options) in CASES.items():
        model = TinyModel(case, **options)
        model.write(out / f"{case}.gguf")
        whole = scratch / f"{case}.gguf"
        model.write(whole, vocab_path=model_path(f"vocab-{vocab}"))
        contexts = [LONGROPE_ORIGINAL_CONTEXT, 2 * LONGROPE_ORIGINAL_CONTEXT] if options.get("longrope") else [512]
        sequences = []
        for context in contexts:
            settings = dict(n_ctx=context, n_batch=512, n_ubatch=512, logits_all=True, verbose=False, seed=0,
                            n_threads=2, n_threads_batch=2, flash_attn=False,
                            # llama.cpp's default F16 cache would round every key and value
                            type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32)
            llm = Llama(model_path=str(whole), **settings)
            ids = llm.tokenize(ARCHITECTURE_TEXT.encode(), add_bos=True, special=False)[:ARCHITECTURE_TOKENS]
            assert len(ids) == ARCHITECTURE_TOKENS, f"{case}: the text is only {len(ids)} tokens"
            prefill, decode = llama_cpp_rows(llm, ids)
            llm.close()
            exact = Float64Transformer(str(whole), context=context)
            exact_rows = exact.logits(exact.hidden_states(ids))
            positions = list(range(len(ids)))
            name = f"context {context}"
            report_agreement(case, name, positions, exact_rows, prefill, decode)
            reference = distribution(prefill, positions)
            sequences.append({
                "name": name, "context": context, "ids": [int(i) for i in ids], "positions": positions,
                "llama_cpp": reference,
                "llama_cpp_decode": distribution(decode, positions, ids_per_position=reference["top_ids"]),
                "float64": distribution(exact_rows, positions, digits=6),
            })
        write_json(out / f"{case}.json", {
            "generator": f"scripts/llama_reference.py architectures (llama-cpp-python {llama_cpp.__version__}, "
                         f"gguf {gguf_version()}, numpy float64)",
            "model": case, "architecture": arch, "vocabulary": f"vocab-{vocab}", "text": ARCHITECTURE_TEXT,
            "embedding_seed": model.embedding_seed, "tied": model.tied, "top_k": TOP_K, "sequences": sequences,
        })
        whole.unlink()


def gguf_version():
    from importlib.metadata import version

    return version("gguf")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["all", "dequant", "vocab", "logits", "tokenizer", "generation", "lora", "architectures"])
    args = parser.parse_args()
    if args.what == "architectures":
        make_architectures()
        return
    names = MODELS + (VOCABULARIES if args.what in ("all", "tokenizer") else [])
    paths = {name: model_path(name) for name in names}
    if args.what in ("all", "dequant"):
        make_dequantization(paths)
    if args.what in ("all", "tokenizer"):
        make_tokenizers(paths)
    if args.what == "all":
        make_architectures()
    if args.what in ("all", "lora"):
        for model in MODELS:
            make_lora(model, paths[model])
    if args.what in ("all", "vocab", "logits", "generation"):
        for model in MODELS:
            llm = load_llama(paths[model])
            if args.what in ("all", "vocab"):
                make_vocabulary(model, llm)
            if args.what in ("all", "logits"):
                make_logits(model, llm, paths[model])
            if args.what in ("all", "generation"):
                make_generations(model, llm, paths[model])
            llm.close()


if __name__ == "__main__":
    main()
