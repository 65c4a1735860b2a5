"""An independent float64 forward pass of a GGUF `llama` or `gemma3` model, in numpy.

Weights are dequantized by gguf-py; everything after that is float64, written from the architectures'
definitions (not from swift-poe's code), so it is the exact function of the quantized model. The
fixtures it feeds hold swift-poe (float32) to tight bounds, tighter than llama.cpp can be compared at,
because llama.cpp rounds activations to 8 bits before each weight product.
"""

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


class Float64Transformer:
    def __init__(self, path):
        self.reader = GGUFReader(path)
        self.tensors = {t.name: t for t in self.reader.tensors}
        field = lambda key: self.reader.fields[key].contents()
        has = lambda key: key in self.reader.fields
        a = self.arch = field("general.architecture")
        if a not in ("llama", "gemma3"):
            raise ValueError(f"unsupported architecture {a}")
        self.d = field(f"{a}.embedding_length")
        self.layers = field(f"{a}.block_count")
        self.heads = field(f"{a}.attention.head_count")
        self.kv_heads = field(f"{a}.attention.head_count_kv") if has(f"{a}.attention.head_count_kv") else self.heads
        self.head_dim = field(f"{a}.attention.key_length") if has(f"{a}.attention.key_length") else self.d // self.heads
        self.eps = field(f"{a}.attention.layer_norm_rms_epsilon")
        self.rope_base = field(f"{a}.rope.freq_base") if has(f"{a}.rope.freq_base") else 10000.0
        self.window = field(f"{a}.attention.sliding_window") if a == "gemma3" else None
        self._cache = {}

    def weight(self, name):
        """A tensor as float64, shaped (rows, row length)."""
        if name not in self._cache:
            t = self.tensors[name]
            values = dequantize(t.data, t.tensor_type).astype(np.float64)
            shape = [int(n) for n in reversed(t.shape)]
            self._cache[name] = values.reshape(shape) if len(shape) > 1 else values.reshape(-1)
        return self._cache[name]

    def rms_norm(self, x, weight):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps) * weight

    def rope(self, v, positions, base, halves):
        """Rotate (tokens, heads, head_dim) by position; Gemma pairs (i, i + n/2), Llama pairs (2i, 2i + 1)."""
        n = self.head_dim
        angles = positions[:, None] * base ** (-np.arange(0, n, 2) / n)[None, :]
        cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
        out = v.copy()
        if halves:
            a, b = v[..., : n // 2], v[..., n // 2 :]
            out[..., : n // 2], out[..., n // 2 :] = a * cos - b * sin, a * sin + b * cos
        else:
            a, b = v[..., 0::2], v[..., 1::2]
            out[..., 0::2], out[..., 1::2] = a * cos - b * sin, a * sin + b * cos
        return out

    def hidden_states(self, ids):
        """The final normalized hidden state of every position, (tokens, d)."""
        return self.forward(ids, Float64Cache(self.layers))

    def forward(self, ids, cache):
        """Runs new tokens after those in `cache` (which it extends); returns their final hidden states."""
        gemma = self.arch == "gemma3"
        first, n = cache.length, len(ids)
        positions = np.arange(first, first + n, dtype=np.float64)
        x = self.weight("token_embd.weight")[ids]
        if gemma:
            x = x * np.sqrt(self.d)
        total = first + n
        # Query i (at position first + i) sees key j when j <= first + i.
        causal = np.arange(total)[None, :] <= (first + np.arange(n))[:, None]
        for layer in range(self.layers):
            w = lambda name: self.weight(f"blk.{layer}.{name}.weight")
            # Gemma 3: five sliding-window layers (RoPE base 10 000), then one global layer.
            local = gemma and self.window and layer % 6 < 5
            base = 10000.0 if local else self.rope_base
            mask = causal
            if local:
                mask = causal & (np.arange(total)[None, :] > (first + np.arange(n))[:, None] - self.window)

            h = self.rms_norm(x, w("attn_norm"))
            q = (h @ w("attn_q").T).reshape(n, self.heads, self.head_dim)
            k = (h @ w("attn_k").T).reshape(n, self.kv_heads, self.head_dim)
            v = (h @ w("attn_v").T).reshape(n, self.kv_heads, self.head_dim)
            if gemma:
                q, k = self.rms_norm(q, w("attn_q_norm")), self.rms_norm(k, w("attn_k_norm"))
            q, k = self.rope(q, positions, base, gemma), self.rope(k, positions, base, gemma)
            keys, values = cache.extend(layer, k, v)
            attended = np.zeros((n, self.heads, self.head_dim))
            group = self.heads // self.kv_heads
            for head in range(self.heads):
                scores = q[:, head] @ keys[:, head // group].T / np.sqrt(self.head_dim)
                scores[~mask] = -np.inf
                scores = np.exp(scores - scores.max(1, keepdims=True))
                attended[:, head] = (scores / scores.sum(1, keepdims=True)) @ values[:, head // group]
            out = attended.reshape(n, -1) @ w("attn_output").T
            x = x + (self.rms_norm(out, w("post_attention_norm")) if gemma else out)

            h = self.rms_norm(x, w("ffn_norm"))
            gate, up = h @ w("ffn_gate").T, h @ w("ffn_up").T
            if gemma:
                activated = 0.5 * gate * (1 + np.tanh(np.sqrt(2 / np.pi) * (gate + 0.044715 * gate**3)))
            else:
                activated = gate / (1 + np.exp(-gate))
            out = (activated * up) @ w("ffn_down").T
            x = x + (self.rms_norm(out, w("post_ffw_norm")) if gemma else out)
        cache.length = total
        return self.rms_norm(x, self.weight("output_norm.weight"))

    def logits(self, hidden):
        output = "output.weight" if "output.weight" in self.tensors else "token_embd.weight"
        return hidden @ self.weight(output).T


class Float64Cache:
    """Keys and values (after RoPE) of every layer for the tokens run so far."""

    def __init__(self, layers):
        self.length = 0
        self.keys = [None] * layers
        self.values = [None] * layers

    def extend(self, layer, k, v):
        if self.keys[layer] is None:
            self.keys[layer], self.values[layer] = k, v
        else:
            self.keys[layer] = np.concatenate([self.keys[layer], k])
            self.values[layer] = np.concatenate([self.values[layer], v])
        return self.keys[layer], self.values[layer]
