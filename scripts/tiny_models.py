"""Small random-weight GGUF models of every architecture swift-poe runs, written with gguf-py, for the
architecture fixtures (`llama_reference.py architectures`).

Each case is a model llama.cpp loads as it would a converted checkpoint: the tokenizer of llama.cpp's
vocabulary file for that family, the architecture's own tensors and keys, realistic scales (norm weights
near 1, projections scaled by 1/sqrt(fan-in)) and a few quantized matrices.

Two files per case go into the fixtures:
  <case>.gguf  the model without its tokenizer and without its embedding (and output) matrix, which are
               the bulk of the file: the test adds them back, the tokenizer from the vocabulary file
               (the same the catalog fetches) and the matrices from `embedding_values`, a generator both
               this script and the test implement (splitmix64; every value a multiple of 2^-9, exact in F16)
  <case>.json  llama.cpp's logits for the whole model (written by llama_reference.py)
"""

import ctypes
import math
from pathlib import Path

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader, GGUFValueType, GGUFWriter

# The matrices each case stores quantized, by layer (the rest stay F32; K-quants need rows of 256, which
# ffn_down's are with FFN = 256). Few: llama.cpp rounds the activations of every quantized product to 8
# bits, and random models' distributions are flat enough for that to swap near-tied top tokens.
QUANTIZED = {"blk.0.attn_k": T.F16, "blk.0.attn_v": T.Q5_0, "blk.0.ffn_down": T.Q6_K,
             "blk.1.attn_q": T.Q8_0, "blk.1.ffn_gate": T.Q4_1}
# Cases: name -> (architecture, vocabulary, options). Gemma 2's and OLMo's own vocabularies are not among
# llama.cpp's test files: Gemma 2 takes the other SentencePiece one, OLMo and OLMo 2 GPT-2's BPE.
CASES = {
    "llama3": ("llama", "llama-bpe", dict(llama3_rope=True, freq_base=500000.0)),
    "mistral": ("llama", "llama-spm", dict(tied=False, kv_heads=1, head_dim=32)),
    "qwen2": ("qwen2", "qwen2", dict(freq_base=1000000.0, yarn=4.0)),
    "qwen3": ("qwen3", "qwen2", dict(freq_base=1000000.0)),
    "olmo": ("olmo", "gpt-2", dict()),
    "olmo2": ("olmo2", "gpt-2", dict(freq_base=500000.0, swa=8)),
    "phi3": ("phi3", "phi-3", dict(longrope=True)),
    "gemma2": ("gemma2", "llama-spm", dict(swa=8, heads=4, kv_heads=2, head_dim=32)),
}
# Phi-3's LongRoPE picks its short or long factors by the context (llama.cpp rounds it up to 256): the
# original context is 512, so a context of 512 runs the short factors and 1024 the long ones.
LONGROPE_ORIGINAL_CONTEXT = 512
EMBEDDING_STEP = 2.0 ** -9
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def embedding_values(seed, count):
    """`count` values k · 2^-9, k in [-128, 127] the top byte of splitmix64's i-th output for `seed`."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + (np.arange(count, dtype=np.uint64) + np.uint64(1)) * GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    k = (z >> np.uint64(56)).astype(np.int64) - 128
    return (k * EMBEDDING_STEP).astype(np.float32)


def copy_tokenizer(vocab_path, writer):
    """Copies every tokenizer.* key of a vocabulary file with its exact GGUF type; returns the token count."""
    reader = GGUFReader(vocab_path)
    for name, field in reader.fields.items():
        if not name.startswith("tokenizer."):
            continue
        main = field.types[0]
        if main == GGUFValueType.ARRAY:
            sub = field.types[-1]
            if sub == GGUFValueType.STRING:
                values = [bytes(field.parts[i]) for i in field.data]  # raw bytes: no UTF-8 round trip
            else:
                values = [v for i in field.data for v in field.parts[i].tolist()]
            writer.add_key_value(name, values, GGUFValueType.ARRAY, sub_type=sub)
        elif main == GGUFValueType.STRING:
            writer.add_key_value(name, bytes(field.parts[-1]), GGUFValueType.STRING)
        else:
            writer.add_key_value(name, field.parts[-1].tolist()[0], main)
    return len(reader.fields["tokenizer.ggml.tokens"].data)


def ggml_quantize(values, qtype):
    """float32 (rows, n) -> the rows quantized by ggml's own C code (gguf-py cannot write K-quants)."""
    import llama_cpp

    lib = ctypes.CDLL(str(Path(llama_cpp.__file__).parent / "lib" / "libggml-base.so"))
    lib.ggml_quantize_chunk.restype = ctypes.c_size_t
    lib.ggml_quantize_chunk.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                        ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
    values = np.ascontiguousarray(values, dtype=np.float32)
    rows, n = values.shape
    block, type_size = gguf.GGML_QUANT_SIZES[qtype]
    out = np.zeros((rows, n // block * type_size), dtype=np.uint8)
    assert lib.ggml_quantize_chunk(int(qtype), values.ctypes.data, out.ctypes.data, 0, rows, n, None) == out.nbytes
    return out


class TinyModel:
    """One case's tensors and keys, in memory, written out with or without the tokenizer and embeddings."""

    def __init__(self, case, *, layers=2, d=64, heads=4, kv_heads=2, head_dim=None, ffn=256, seed=0, tied=True,
                 swa=None, llama3_rope=False, longrope=False, yarn=None, freq_base=10000.0, context=4096):
        self.case = case
        self.arch, self.vocab = CASES[case][0], CASES[case][1]
        a = self.arch
        head_dim = head_dim or d // heads
        q_dim, kv_dim = heads * head_dim, kv_heads * head_dim
        self.embedding_seed = 1000 + seed
        rng = np.random.default_rng(seed)
        keys = [(f"{a}.context_length", context, GGUFValueType.UINT32), (f"{a}.embedding_length", d, GGUFValueType.UINT32),
                (f"{a}.block_count", layers, GGUFValueType.UINT32), (f"{a}.feed_forward_length", ffn, GGUFValueType.UINT32),
                (f"{a}.attention.head_count", heads, GGUFValueType.UINT32),
                (f"{a}.attention.head_count_kv", kv_heads, GGUFValueType.UINT32),
                (f"{a}.attention.key_length", head_dim, GGUFValueType.UINT32),
                (f"{a}.attention.value_length", head_dim, GGUFValueType.UINT32),
                (f"{a}.rope.dimension_count", head_dim, GGUFValueType.UINT32),
                (f"{a}.rope.freq_base", freq_base, GGUFValueType.FLOAT32)]
        if a == "olmo":  # a LayerNorm without weights, and q, k, v clamped
            keys += [(f"{a}.attention.layer_norm_epsilon", 1e-5, GGUFValueType.FLOAT32),
                     (f"{a}.attention.clamp_kqv", 2.0, GGUFValueType.FLOAT32)]
        else:
            keys.append((f"{a}.attention.layer_norm_rms_epsilon", 1e-6, GGUFValueType.FLOAT32))
        if a == "gemma2":
            keys += [(f"{a}.attention.sliding_window", swa, GGUFValueType.UINT32),
                     (f"{a}.attn_logit_softcapping", 50.0, GGUFValueType.FLOAT32),
                     (f"{a}.final_logit_softcapping", 30.0, GGUFValueType.FLOAT32)]
        if a == "olmo2" and swa:  # Olmo 3: three sliding-window layers, then a global one
            keys.append((f"{a}.attention.sliding_window", swa, GGUFValueType.UINT32))
        if yarn:  # YaRN over an original context of 512 (Qwen 2.5 for long contexts, Olmo 3)
            keys += [(f"{a}.rope.scaling.type", "yarn", GGUFValueType.STRING),
                     (f"{a}.rope.scaling.factor", yarn, GGUFValueType.FLOAT32),
                     (f"{a}.rope.scaling.original_context_length", LONGROPE_ORIGINAL_CONTEXT, GGUFValueType.UINT32)]
        if longrope:
            scale = context / LONGROPE_ORIGINAL_CONTEXT
            keys += [(f"{a}.rope.scaling.original_context_length", LONGROPE_ORIGINAL_CONTEXT, GGUFValueType.UINT32),
                     (f"{a}.rope.scaling.attn_factor", math.sqrt(1 + math.log(scale) / math.log(LONGROPE_ORIGINAL_CONTEXT)),
                      GGUFValueType.FLOAT32)]
        self.keys = keys
        self.tensors = []  # (name, numpy data, raw dtype or None)
        self.d, self.tied = d, tied and a != "olmo2"  # OLMo 2 requires its own output matrix

        def add(name, shape, scale, offset=0.0):
            values = (offset + scale * rng.standard_normal(shape)).astype(np.float32)
            kind = QUANTIZED.get(name.removesuffix(".weight"), T.F32) if len(shape) == 2 else T.F32
            if kind == T.F32:
                self.tensors.append((name, values, None))
            elif kind == T.F16:
                self.tensors.append((name, values.astype(np.float16), None))
            elif kind in (T.Q4_K, T.Q5_K, T.Q6_K):
                self.tensors.append((name, ggml_quantize(values, kind), kind))
            else:
                self.tensors.append((name, gguf.quants.quantize(values, kind), kind))

        if a != "olmo":
            add("output_norm.weight", (d,), 0.1, offset=1.0)
        if llama3_rope:  # Llama 3.1's scaling is a tensor of per-frequency divisors
            factors = np.ones(head_dim // 2, dtype=np.float32)
            factors[head_dim // 4:] = np.linspace(1.0, 8.0, head_dim // 2 - head_dim // 4)
            self.tensors.append(("rope_freqs.weight", factors, None))
        if longrope:
            self.tensors.append(("rope_factors_long.weight", np.linspace(1.0, 20.0, head_dim // 2).astype(np.float32), None))
            self.tensors.append(("rope_factors_short.weight", np.linspace(1.0, 1.5, head_dim // 2).astype(np.float32), None))
        for l in range(layers):
            p = f"blk.{l}."
            if a not in ("olmo", "olmo2"):
                add(p + "attn_norm.weight", (d,), 0.1, offset=1.0)
            if a == "phi3":  # fused: rows q, then k, then v
                add(p + "attn_qkv.weight", (q_dim + 2 * kv_dim, d), d ** -0.5)
            else:
                add(p + "attn_q.weight", (q_dim, d), d ** -0.5)
                add(p + "attn_k.weight", (kv_dim, d), d ** -0.5)
                add(p + "attn_v.weight", (kv_dim, d), d ** -0.5)
            if a == "qwen2":
                add(p + "attn_q.bias", (q_dim,), 0.5)
                add(p + "attn_k.bias", (kv_dim,), 0.5)
                add(p + "attn_v.bias", (kv_dim,), 0.5)
            if a == "qwen3":  # per head
                add(p + "attn_q_norm.weight", (head_dim,), 0.1, offset=1.0)
                add(p + "attn_k_norm.weight", (head_dim,), 0.1, offset=1.0)
            if a == "olmo2":  # over the whole width
                add(p + "attn_q_norm.weight", (q_dim,), 0.1, offset=1.0)
                add(p + "attn_k_norm.weight", (kv_dim,), 0.1, offset=1.0)
            add(p + "attn_output.weight", (d, q_dim), q_dim ** -0.5)
            if a in ("olmo2", "gemma2"):
                add(p + "post_attention_norm.weight", (d,), 0.1, offset=1.0)
            if a not in ("olmo", "olmo2"):
                add(p + "ffn_norm.weight", (d,), 0.1, offset=1.0)
            if a == "phi3":  # fused: rows gate, then up
                add(p + "ffn_up.weight", (2 * ffn, d), d ** -0.5)
            else:
                add(p + "ffn_gate.weight", (ffn, d), d ** -0.5)
                add(p + "ffn_up.weight", (ffn, d), d ** -0.5)
            add(p + "ffn_down.weight", (d, ffn), ffn ** -0.5)
            if a in ("olmo2", "gemma2"):
                add(p + "post_ffw_norm.weight", (d,), 0.1, offset=1.0)

    def embeddings(self, n_vocab):
        """token_embd (and output, for an untied model): (n_vocab, d) F16 from `embedding_values`."""
        shape = (n_vocab, self.d)
        out = [("token_embd.weight", embedding_values(self.embedding_seed, n_vocab * self.d).reshape(shape).astype(np.float16), None)]
        if not self.tied:
            values = embedding_values(self.embedding_seed + 1, n_vocab * self.d).reshape(shape)
            out.append(("output.weight", (values * 0.5).astype(np.float16), None))
        return out

    def write(self, path, vocab_path=None):
        """The model; with `vocab_path`, whole (tokenizer and embeddings), else the fixture's part of it."""
        w = GGUFWriter(str(path), self.arch)
        for key, value, kind in self.keys:
            w.add_key_value(key, value, kind)
        tensors = self.tensors
        if vocab_path:
            n_vocab = copy_tokenizer(vocab_path, w)
            tensors = self.embeddings(n_vocab) + tensors
        for name, data, raw in tensors:
            w.add_tensor(name, data, raw_dtype=raw)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
