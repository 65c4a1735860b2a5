extension TransformerConfig {
    /// The architectures swift-poe runs (`general.architecture`), each with its ``Design``.
    public enum Architecture: String, Sendable, CaseIterable {
        /// Llama 2 and 3, Mistral, SmolLM2 and the other Llama-shaped models.
        case llama
        /// Qwen 2 and 2.5: biases on q, k and v.
        case qwen2
        /// Qwen 3: an RMSNorm on each query and key head.
        case qwen3
        /// OLMo: LayerNorm without weights, and q, k, v clamped.
        case olmo
        /// OLMo 2 and Olmo 3: norms after each sublayer instead of before, q and k normalized over their whole width.
        case olmo2
        /// Phi-3 and Phi-4: fused q/k/v and gate/up matrices, LongRoPE.
        case phi3
        /// Gemma 2: scaled embeddings, post-norms, GeGLU, soft-capped attention and logits, every other layer sliding.
        case gemma2
        /// Gemma 3: scaled embeddings, q/k norms, post-norms, GeGLU, five of six layers sliding.
        case gemma3

        /// How this architecture's forward pass differs from the others', as llama.cpp builds it
        /// (`src/models/<architecture>.cpp`).
        public var design: Design {
            switch self {
            case .llama: Design()
            case .qwen2: Design(ropeStyle: .halves)
            case .qwen3: Design(ropeStyle: .halves, queryKeyNorm: .perHead)
            case .olmo: Design(inputNorm: .layerNorm, clampsQueryKeyValue: true)
            case .olmo2:
                Design(
                    ropeStyle: .halves, inputNorm: .none, queryKeyNorm: .wholeWidth, normalizesSublayerOutputs: true,
                    slidingWindows: SlidingWindows(period: 4, defaultWindow: nil, localRoPE: .globalBaseUnscaled),
                    output: .separate)
            case .phi3: Design(ropeStyle: .halves, fusedGateUp: true)
            case .gemma2:
                Design(
                    ropeStyle: .halves, activation: .geluTanh, scalesEmbeddings: true, normalizesSublayerOutputs: true,
                    slidingWindows: SlidingWindows(period: 2, defaultWindow: 4096, localRoPE: .swaBaseOrGlobal),
                    attentionSoftcap: 50, finalSoftcap: 30, output: .embedding, largeModelLayerCount: 46)
            case .gemma3:
                Design(
                    ropeStyle: .halves, activation: .geluTanh, scalesEmbeddings: true, queryKeyNorm: .perHead,
                    normalizesSublayerOutputs: true,
                    slidingWindows: SlidingWindows(period: 6, defaultWindow: nil, localRoPE: .fixedBase(10_000)),
                    largeModelLayerCount: 62)
            }
        }
    }

    /// Which pairs of a head's dimensions RoPE rotates together.
    public enum RoPEStyle: Sendable, Equatable {
        /// `(x[2i], x[2i+1])`, llama.cpp's "normal" RoPE (its converter permuted Llama's q/k rows for it).
        case adjacentPairs
        /// `(x[i], x[i + n/2])`, llama.cpp's "NeoX" RoPE.
        case halves
    }

    /// The gated feed-forward's activation.
    public enum Activation: Sendable, Equatable {
        /// SwiGLU: `silu(gate) * up`.
        case silu
        /// GeGLU with the tanh approximation of GELU: `gelu(gate) * up`.
        case geluTanh
    }

    /// What normalizes the residual stream before each sublayer and at the end.
    public enum InputNorm: Sendable, Equatable {
        /// RMSNorm with a weight (`attn_norm`, `ffn_norm`, `output_norm`).
        case rms
        /// LayerNorm without weight or bias (OLMo): `(x − mean) / √(variance + ε)`.
        case layerNorm
        /// None before a sublayer (OLMo 2 normalizes its outputs instead); RMSNorm at the end.
        case none
    }

    /// How queries and keys are normalized before RoPE.
    public enum QueryKeyNorm: Sendable, Equatable {
        /// They are not.
        case none
        /// RMSNorm of each head vector on its own (Qwen 3, Gemma 3): weights of one head's length.
        case perHead
        /// RMSNorm of all heads together (OLMo 2): weights of the whole q or k width.
        case wholeWidth
    }

    /// Where the output matrix comes from.
    public enum OutputMatrix: Sendable, Equatable {
        /// `output.weight` if the file has it, else the token embedding.
        case separateOrEmbedding
        /// `output.weight`, which must be there (OLMo 2).
        case separate
        /// The token embedding always (Gemma 2 never looks for `output.weight`).
        case embedding
    }

    /// Which layers attend within a window, and with what RoPE.
    public struct SlidingWindows: Sendable, Equatable {
        /// RoPE of the windowed layers.
        public enum LocalRoPE: Sendable, Equatable {
            /// This base, no scaling (Gemma 3: 10 000).
            case fixedBase(Float)
            /// The global base without scaling (Olmo 3).
            case globalBaseUnscaled
            /// `rope.freq_base_swa` if given, else the global base; the global scaling (Gemma 2).
            case swaBaseOrGlobal
        }

        /// Layer l slides when `l % period < period − 1`, unless the file's `attention.sliding_window_pattern`
        /// says otherwise (llama.cpp's `set_swa_pattern`).
        public var period: Int
        /// The window when the file has no `attention.sliding_window`; without either, no layer slides.
        public var defaultWindow: Int?
        /// RoPE of the windowed layers.
        public var localRoPE: LocalRoPE
    }

    /// Everything that tells one architecture's forward pass from another's. The one forward pass reads it;
    /// tensor names and hyperparameter keys follow from it (`TransformerWeights`, `TransformerConfig`).
    ///
    /// Not described, because every architecture takes them when the file has them: biases on any
    /// projection, fused `attn_qkv` matrices, `rope_freqs` (Llama 3) and LongRoPE factors (Phi-3).
    public struct Design: Sendable, Equatable {
        /// Which dimensions RoPE rotates together.
        public var ropeStyle: RoPEStyle = .adjacentPairs
        /// The feed-forward's activation.
        public var activation: Activation = .silu
        /// Token embeddings are multiplied by √d.
        public var scalesEmbeddings = false
        /// The norm before each sublayer (and at the end).
        public var inputNorm: InputNorm = .rms
        /// The norm of queries and keys before RoPE.
        public var queryKeyNorm: QueryKeyNorm = .none
        /// RMSNorm of each sublayer's output before the residual add (`post_attention_norm`, `post_ffw_norm`).
        public var normalizesSublayerOutputs = false
        /// q, k and v are clamped to ±`attention.clamp_kqv` when the file sets it (OLMo).
        public var clampsQueryKeyValue = false
        /// `ffn_up` holds the gate's rows, then the up projection's (Phi-3).
        public var fusedGateUp = false
        /// Which layers slide; nil for none.
        public var slidingWindows: SlidingWindows?
        /// `c · tanh(score / c)` on attention scores, c from `attn_logit_softcapping` or this default.
        public var attentionSoftcap: Float?
        /// `c · tanh(logit / c)` on the output, c from `final_logit_softcapping` or this default.
        public var finalSoftcap: Float?
        /// Where the output matrix comes from.
        public var output: OutputMatrix = .separateOrEmbedding
        /// With this many layers (the 27B models), attention scales by 1/√(d / heads) instead of 1/√(head length),
        /// as llama.cpp infers it.
        public var largeModelLayerCount: Int?
    }
}
