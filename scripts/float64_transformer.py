"""An independent float64 forward pass of a GGUF model of any architecture swift-poe runs, in numpy.

Weights are dequantized by gguf-py; everything after that is float64, written from the architectures'
definitions (not from swift-poe's code), so it is the exact function of the quantized model. The
fixtures it feeds hold swift-poe (float32) to tight bounds, tighter than llama.cpp can be compared at,
because llama.cpp rounds activations to 8 bits before each weight product.
"""

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize


class Float64Transformer:
    """The forward pass of every architecture swift-poe runs, from llama.cpp's graphs (src/models/*.cpp)."""

    ARCHITECTURES = ("llama", "qwen2", "qwen3", "olmo", "olmo2", "phi3", "gemma2", "gemma3")

    def __init__(self, path, context=None):
        """`context` (default: the trained one) picks LongRoPE's short or long factors, as llama.cpp's n_ctx."""
        self.reader = GGUFReader(path)
        self.tensors = {t.name: t for t in self.reader.tensors}
        self._cache = {}
        has = lambda key: key in self.reader.fields
        field = lambda key, default=None: self.reader.fields[key].contents() if has(key) else default
        a = self.arch = field("general.architecture")
        if a not in self.ARCHITECTURES:
            raise ValueError(f"unsupported architecture {a}")
        self.d = field(f"{a}.embedding_length")
        self.layers = field(f"{a}.block_count")
        self.heads = field(f"{a}.attention.head_count")
        self.kv_heads = field(f"{a}.attention.head_count_kv", self.heads)
        self.head_dim = field(f"{a}.attention.key_length", self.d // self.heads)
        self.n_rot = field(f"{a}.rope.dimension_count", self.head_dim)
        self.eps = field(f"{a}.attention.layer_norm_epsilon") if a == "olmo" else field(f"{a}.attention.layer_norm_rms_epsilon")
        self.rope_base = field(f"{a}.rope.freq_base", 10000.0)
        self.clamp = field(f"{a}.attention.clamp_kqv", 0.0) if a == "olmo" else 0.0
        self.attention_cap = field(f"{a}.attn_logit_softcapping", 50.0) if a == "gemma2" else None
        self.final_cap = field(f"{a}.final_logit_softcapping", 30.0 if a == "gemma2" else None)
        self.rope_attention_factor = field(f"{a}.rope.scaling.attn_factor", 1.0)
        # YaRN (llama.cpp's rope_yarn): interpolated angles (position / factor) for the low frequencies,
        # extrapolated ones for the high, ramped between the dimensions where a period spans 32 and 1
        # turns of the original context; cos and sin grow by 1 + 0.1 ln(factor).
        self.yarn = None
        if field(f"{a}.rope.scaling.type", "linear") == "yarn":
            factor = field(f"{a}.rope.scaling.factor")
            original = field(f"{a}.rope.scaling.original_context_length", field(f"{a}.context_length"))
            base = field(f"{a}.rope.freq_base", 10000.0)
            corr = lambda turns: self.n_rot * np.log(original / (turns * 2 * np.pi)) / (2 * np.log(base))
            low, high = max(0.0, np.floor(corr(32))), min(self.n_rot - 1.0, np.ceil(corr(1)))
            self.yarn = (factor, low, high)
        window = field(f"{a}.attention.sliding_window", 4096 if a == "gemma2" else 0)
        # Sliding-window layers: Gemma 3 five of six (RoPE base 10 000), Gemma 2 every other, Olmo 3 three of four.
        period = {"gemma3": 6, "gemma2": 2, "olmo2": 4}.get(a)
        self.local = [bool(window and period and l % period < period - 1) for l in range(self.layers)]
        self.window = window
        self.factors = None
        if "rope_freqs.weight" in self.tensors:
            self.factors = self.weight("rope_freqs.weight")
        elif "rope_factors_long.weight" in self.tensors:
            original = field(f"{a}.rope.scaling.original_context_length", field(f"{a}.context_length"))
            padded = -(-(context or field(f"{a}.context_length")) // 256) * 256
            self.factors = self.weight("rope_factors_long.weight" if padded > original else "rope_factors_short.weight")
        # 27B-sized Gemmas scale queries by 1/sqrt(d/heads) (llama.cpp infers it from the layer count).
        big = (a == "gemma3" and self.layers == 62) or (a == "gemma2" and self.layers == 46)
        self.attention_scale = 1 / np.sqrt(self.d // self.heads if big else self.head_dim)

    def weight(self, name):
        """A tensor as float64, shaped (rows, row length)."""
        if name not in self._cache:
            t = self.tensors[name]
            values = dequantize(t.data, t.tensor_type).astype(np.float64)
            shape = [int(n) for n in reversed(t.shape)]
            self._cache[name] = values.reshape(shape) if len(shape) > 1 else values.reshape(-1)
        return self._cache[name]

    def has(self, name):
        return name in self.tensors

    def rms_norm(self, x, weight):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps) * weight

    def layer_norm(self, x):
        """OLMo's: no weight, no bias."""
        x = x - x.mean(-1, keepdims=True)
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + self.eps)

    def input_norm(self, x, layer, name):
        if self.arch == "olmo":
            return self.layer_norm(x)
        if self.arch == "olmo2":  # no norm before a sublayer, one after
            return x
        return self.rms_norm(x, self.weight(f"blk.{layer}.{name}.weight"))

    def rope(self, v, positions, base, factors, yarn=None):
        """Rotates the first n_rot values of each head of (tokens, heads, head_dim): pairs (i, i + n/2)
        (NeoX) or, for llama and olmo, (2i, 2i + 1)."""
        n = self.n_rot
        angles = positions[:, None] * base ** (-np.arange(0, n, 2) / n)[None, :]
        if factors is not None:
            angles = angles / factors[None, :]
        magnitude = self.rope_attention_factor
        if yarn:
            factor, low, high = yarn
            ramp = 1 - np.clip((np.arange(n // 2) - low) / max(0.001, high - low), 0, 1)
            angles = angles / factor * (1 - ramp) + angles * ramp
            magnitude = magnitude * (1 + 0.1 * np.log(factor))
        cos = np.cos(angles)[:, None, :] * magnitude
        sin = np.sin(angles)[:, None, :] * magnitude
        out = v.copy()
        if self.arch not in ("llama", "olmo"):
            a, b = v[..., : n // 2], v[..., n // 2 : n]
            out[..., : n // 2], out[..., n // 2 : n] = a * cos - b * sin, a * sin + b * cos
        else:
            a, b = v[..., 0:n:2], v[..., 1:n:2]
            out[..., 0:n:2], out[..., 1:n:2] = a * cos - b * sin, a * sin + b * cos
        return out

    def projection(self, h, layer, name):
        out = h @ self.weight(f"blk.{layer}.{name}.weight").T
        bias = f"blk.{layer}.{name}.bias"
        return out + self.weight(bias) if self.has(bias) else out

    def hidden_states(self, ids):
        """The final normalized hidden state of every position, (tokens, d)."""
        return self.forward(ids, Float64Cache(self.layers))

    def forward(self, ids, cache):
        """Runs new tokens after those in `cache` (which it extends); returns their final hidden states."""
        a = self.arch
        first, n = cache.length, len(ids)
        positions = np.arange(first, first + n, dtype=np.float64)
        x = self.weight("token_embd.weight")[ids]
        if a in ("gemma2", "gemma3"):
            x = x * np.sqrt(self.d)
        total = first + n
        # Query i (at position first + i) sees key j when j <= first + i.
        causal = np.arange(total)[None, :] <= (first + np.arange(n))[:, None]
        q_width, kv_width = self.heads * self.head_dim, self.kv_heads * self.head_dim
        for layer in range(self.layers):
            w = lambda name: self.weight(f"blk.{layer}.{name}.weight")
            local = self.local[layer]
            base = 10000.0 if (local and a == "gemma3") else self.rope_base
            factors = None if (local and a == "gemma3") else self.factors
            mask = causal
            if local:
                mask = causal & (np.arange(total)[None, :] > (first + np.arange(n))[:, None] - self.window)

            h = self.input_norm(x, layer, "attn_norm")
            if self.has(f"blk.{layer}.attn_qkv.weight"):
                qkv = self.projection(h, layer, "attn_qkv")
                q, k, v = qkv[:, :q_width], qkv[:, q_width:q_width + kv_width], qkv[:, q_width + kv_width:]
            else:
                q, k, v = (self.projection(h, layer, name) for name in ("attn_q", "attn_k", "attn_v"))
            if self.clamp:
                q, k, v = (np.clip(t, -self.clamp, self.clamp) for t in (q, k, v))
            if a == "olmo2":  # one RMS norm over all heads together
                q, k = self.rms_norm(q, w("attn_q_norm")), self.rms_norm(k, w("attn_k_norm"))
            q = q.reshape(n, self.heads, self.head_dim)
            k = k.reshape(n, self.kv_heads, self.head_dim)
            v = v.reshape(n, self.kv_heads, -1)
            if a in ("qwen3", "gemma3"):  # per head
                q, k = self.rms_norm(q, w("attn_q_norm")), self.rms_norm(k, w("attn_k_norm"))
            # Olmo 3's sliding-window layers turn YaRN off.
            yarn = None if local else self.yarn
            q, k = self.rope(q, positions, base, factors, yarn), self.rope(k, positions, base, factors, yarn)
            keys, values = cache.extend(layer, k, v)
            attended = np.zeros((n, self.heads, v.shape[-1]))
            group = self.heads // self.kv_heads
            for head in range(self.heads):
                scores = q[:, head] @ keys[:, head // group].T * self.attention_scale
                if self.attention_cap:
                    scores = self.attention_cap * np.tanh(scores / self.attention_cap)
                scores[~mask] = -np.inf
                scores = np.exp(scores - scores.max(1, keepdims=True))
                attended[:, head] = (scores / scores.sum(1, keepdims=True)) @ values[:, head // group]
            out = self.projection(attended.reshape(n, -1), layer, "attn_output")
            if self.has(f"blk.{layer}.post_attention_norm.weight"):
                out = self.rms_norm(out, w("post_attention_norm"))
            x = x + out

            h = self.input_norm(x, layer, "ffn_norm")
            if self.has(f"blk.{layer}.ffn_gate.weight"):
                gate, up = self.projection(h, layer, "ffn_gate"), self.projection(h, layer, "ffn_up")
            else:  # Phi-3: one matrix, rows gate then up
                gate, up = np.split(self.projection(h, layer, "ffn_up"), 2, axis=-1)
            if a in ("gemma2", "gemma3"):
                activated = 0.5 * gate * (1 + np.tanh(np.sqrt(2 / np.pi) * (gate + 0.044715 * gate**3)))
            else:
                activated = gate / (1 + np.exp(-gate))
            out = self.projection(activated * up, layer, "ffn_down")
            if self.has(f"blk.{layer}.post_ffw_norm.weight"):
                out = self.rms_norm(out, w("post_ffw_norm"))
            x = x + out
        cache.length = total
        return self.layer_norm(x) if a == "olmo" else self.rms_norm(x, self.weight("output_norm.weight"))

    def logits(self, hidden):
        tied = self.arch == "gemma2" or "output.weight" not in self.tensors
        logits = hidden @ self.weight("token_embd.weight" if tied else "output.weight").T
        if self.final_cap:
            logits = self.final_cap * np.tanh(logits / self.final_cap)
        return logits


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
