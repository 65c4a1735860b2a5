#!/usr/bin/env python3
"""Write the GGUF seeds of the fuzz target FuzzGGUF (Fuzz/Seeds/gguf): tiny llama and gemma3 models that
swift-poe loads and runs, with their weights in each tensor type gguf-py can quantize, and a tokenizer
of each family. libFuzzer mutates these; small valid files reach much deeper than random bytes.

    python3 -m pip install gguf==0.19.0 numpy
    python3 scripts/fuzz_seeds.py
"""

from pathlib import Path

import numpy as np
import gguf

OUT = Path(__file__).resolve().parent.parent / "Fuzz" / "Seeds" / "gguf"
T = gguf.GGMLQuantizationType

VOCAB = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(8)] + ["▁", "▁a", "a", "b", "ab", "▁the", "he"]
BPE_VOCAB = ["<|endoftext|>", "a", "b", "Ġ", "ab", "Ġa", "Ċ", "!", "he", "Ġthe"]


def write(name, arch, tensor_type, tokenizer, layers=1, d=32, heads=2, kv_heads=1, head_dim=16, ffn=64):
    path = OUT / name
    w = gguf.GGUFWriter(str(path), arch)
    w.add_context_length(64)
    w.add_embedding_length(d)
    w.add_block_count(layers)
    w.add_feed_forward_length(ffn)
    w.add_head_count(heads)
    w.add_head_count_kv(kv_heads)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(10000.0)
    if arch == "gemma3":
        w.add_sliding_window(4)
    if tokenizer == "llama":
        w.add_tokenizer_model("llama")
        w.add_token_list(VOCAB)
        w.add_token_scores([float(-i) for i in range(len(VOCAB))])
        w.add_token_types([2, 3, 3] + [6] * 8 + [1] * (len(VOCAB) - 11))
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)
        vocab = len(VOCAB)
    else:
        w.add_tokenizer_model("gpt2")
        w.add_tokenizer_pre("smollm")
        w.add_token_list(BPE_VOCAB)
        w.add_token_merges(["a b", "Ġ a", "h e", "Ġ the"])
        w.add_bos_token_id(0)
        w.add_eos_token_id(0)
        vocab = len(BPE_VOCAB)
    rng = np.random.default_rng(len(name))

    def tensor(tname, shape, quantized=True):
        # gguf-py takes numpy shapes (rows, columns): the reverse of GGUF's (ne0, ne1).
        values = (rng.standard_normal(shape) * 0.3).astype(np.float32)
        kind = tensor_type if quantized and values.shape[-1] % 32 == 0 else T.F32
        if kind == T.F32:
            w.add_tensor(tname, values)
        elif kind == T.F16:
            w.add_tensor(tname, values.astype(np.float16))
        else:
            w.add_tensor(tname, gguf.quants.quantize(values, kind), raw_dtype=kind)

    q, kv = heads * head_dim, kv_heads * head_dim
    tensor("token_embd.weight", (vocab, d))
    tensor("output_norm.weight", (d,), quantized=False)
    for l in range(layers):
        p = f"blk.{l}."
        tensor(p + "attn_norm.weight", (d,), quantized=False)
        tensor(p + "attn_q.weight", (q, d))
        tensor(p + "attn_k.weight", (kv, d))
        tensor(p + "attn_v.weight", (kv, d))
        tensor(p + "attn_output.weight", (d, q))
        tensor(p + "ffn_norm.weight", (d,), quantized=False)
        tensor(p + "ffn_gate.weight", (ffn, d))
        tensor(p + "ffn_up.weight", (ffn, d))
        tensor(p + "ffn_down.weight", (d, ffn))
        if arch == "gemma3":
            tensor(p + "attn_q_norm.weight", (head_dim,), quantized=False)
            tensor(p + "attn_k_norm.weight", (head_dim,), quantized=False)
            tensor(p + "post_attention_norm.weight", (d,), quantized=False)
            tensor(p + "post_ffw_norm.weight", (d,), quantized=False)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"{path.name}: {path.stat().st_size} bytes")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.gguf"):
        old.unlink()
    types = [T.F32, T.F16, T.Q8_0, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1]
    for kind in types:
        write(f"llama-{kind.name.lower()}.gguf", "llama", kind, "llama")
    write("gemma3-q8_0.gguf", "gemma3", T.Q8_0, "llama")
    write("llama-bpe-f16.gguf", "llama", T.F16, "gpt2")
    write("gemma3-2layers-f32.gguf", "gemma3", T.F32, "llama", layers=2)


if __name__ == "__main__":
    main()
