/// The hyperparameters of a decoder-only transformer, read from GGUF metadata (`{arch}.*` keys).
public struct TransformerConfig: Sendable, Equatable {
    /// The architectures swift-poe runs (`general.architecture`).
    public enum Architecture: String, Sendable, CaseIterable {
        /// Llama and its many relatives (SmolLM2 among them).
        case llama
        /// Gemma 3: scaled embeddings, q/k norms, post-norms, GeGLU, sliding-window layers.
        case gemma3
    }

    /// Which pairs of a head's dimensions RoPE rotates together.
    public enum RoPEStyle: Sendable, Equatable {
        /// `(x[2i], x[2i+1])`, llama.cpp's "normal" RoPE (its converter permuted Llama's q/k rows for it).
        case adjacentPairs
        /// `(x[i], x[i + n/2])`, llama.cpp's "NeoX" RoPE, used by Gemma.
        case halves
    }

    /// The gated feed-forward's activation.
    public enum Activation: Sendable, Equatable {
        /// SwiGLU: `silu(gate) * up`.
        case silu
        /// GeGLU with the tanh approximation of GELU: `gelu(gate) * up`.
        case geluTanh
    }

    /// How one layer attends: its RoPE frequencies and, for local layers, its window.
    public struct LayerAttention: Sendable, Equatable {
        /// The frequency base θ.
        public var ropeBase: Float
        /// Position multiplier (1 / linear scaling factor).
        public var ropeScale: Float
        /// A query at position p sees keys at positions p - window + 1 ... p; nil sees all earlier keys.
        public var window: Int?

        /// A layer's attention settings.
        public init(ropeBase: Float, ropeScale: Float, window: Int?) {
            self.ropeBase = ropeBase
            self.ropeScale = ropeScale
            self.window = window
        }
    }

    /// The architecture.
    public var architecture: Architecture
    /// Tokens in the vocabulary: rows of the embedding and of the output matrix.
    public var vocabularySize: Int
    /// The width of the residual stream.
    public var embeddingLength: Int
    /// Transformer blocks.
    public var layerCount: Int
    /// The width of the feed-forward's hidden layer.
    public var feedForwardLength: Int
    /// Query heads.
    public var headCount: Int
    /// Key and value heads (fewer than query heads with grouped-query attention).
    public var kvHeadCount: Int
    /// Length of each query and key head.
    public var headDimension: Int
    /// Length of each value head.
    public var valueDimension: Int
    /// The longest sequence the model was trained for.
    public var contextLength: Int
    /// The epsilon of every RMSNorm.
    public var rmsEpsilon: Float
    /// Leading dimensions of each head that RoPE rotates.
    public var ropeDimensions: Int
    /// Which dimensions RoPE rotates together.
    public var ropeStyle: RoPEStyle
    /// Each layer's attention settings.
    public var layers: [LayerAttention]
    /// Multiplies q·k before the softmax.
    public var attentionScale: Float
    /// Multiplies token embeddings (Gemma: √d).
    public var embeddingScale: Float
    /// The feed-forward's activation.
    public var activation: Activation
    /// Gemma's per-head RMSNorm of q and k before RoPE.
    public var normalizesQueriesAndKeys: Bool
    /// Gemma's RMSNorm of the attention and feed-forward outputs before each residual add.
    public var normalizesSublayerOutputs: Bool
    /// `c · tanh(logit / c)` on the output, when set.
    public var finalLogitSoftcap: Float?

    /// Reads and validates the hyperparameters; `vocabularySize` comes from the tokenizer's token list.
    public init(metadata: GGUFMetadata, vocabularySize: Int) throws(ModelLoadProblem) {
        do {
            try self.init(reading: metadata, vocabularySize: vocabularySize)
        } catch let error as GGUFMetadataError {
            throw .metadata(error)
        } catch let problem as ModelLoadProblem {
            throw problem
        } catch {
            throw .unsupported(feature: "\(error)")  // not reached: only the two types above are thrown
        }
    }

    private init(reading metadata: GGUFMetadata, vocabularySize: Int) throws {
        let name = try metadata.requireString("general.architecture")
        guard let architecture = Architecture(rawValue: name) else { throw ModelLoadProblem.unsupportedArchitecture(name) }
        self.architecture = architecture
        let a = name
        self.vocabularySize = vocabularySize
        embeddingLength = try Self.positive(metadata, "\(a).embedding_length")
        layerCount = try Self.positive(metadata, "\(a).block_count")
        // Checked before anything is sized by it: a hostile count would otherwise allocate for billions of layers.
        guard layerCount <= Self.maximumLayers else {
            throw ModelLoadProblem.invalidHyperparameter(
                key: "\(a).block_count", value: "\(layerCount)", requirement: "it must be at most \(Self.maximumLayers) (llama.cpp's limit)")
        }
        feedForwardLength = try Self.perLayer(metadata, "\(a).feed_forward_length")
        headCount = try Self.perLayer(metadata, "\(a).attention.head_count")
        kvHeadCount = try metadata.contains("\(a).attention.head_count_kv")
            ? Self.perLayer(metadata, "\(a).attention.head_count_kv") : headCount
        guard headCount % kvHeadCount == 0 else {
            throw ModelLoadProblem.invalidHyperparameter(
                key: "\(a).attention.head_count_kv", value: "\(kvHeadCount)",
                requirement: "it must divide the head count \(headCount)")
        }
        guard embeddingLength % headCount == 0 || metadata.contains("\(a).attention.key_length") else {
            throw ModelLoadProblem.invalidHyperparameter(
                key: "\(a).attention.head_count", value: "\(headCount)",
                requirement: "it must divide the embedding length \(embeddingLength) when no key length is given")
        }
        headDimension = try Self.positive(metadata, "\(a).attention.key_length", default: embeddingLength / headCount)
        valueDimension = try Self.positive(metadata, "\(a).attention.value_length", default: headDimension)
        contextLength = try Self.positive(metadata, "\(a).context_length")
        rmsEpsilon = try metadata.requireFloat("\(a).attention.layer_norm_rms_epsilon")
        guard rmsEpsilon.isFinite, rmsEpsilon >= 0 else {
            throw ModelLoadProblem.invalidHyperparameter(
                key: "\(a).attention.layer_norm_rms_epsilon", value: "\(rmsEpsilon)", requirement: "it must be finite and not negative")
        }
        ropeDimensions = try Self.positive(metadata, "\(a).rope.dimension_count", default: headDimension)
        guard ropeDimensions <= headDimension, ropeDimensions % 2 == 0 else {
            throw ModelLoadProblem.invalidHyperparameter(
                key: "\(a).rope.dimension_count", value: "\(ropeDimensions)",
                requirement: "it must be even and at most the head length \(headDimension)")
        }
        let ropeBase = try metadata.float("\(a).rope.freq_base") ?? 10_000
        guard ropeBase.isFinite, ropeBase > 1 else {
            throw ModelLoadProblem.invalidHyperparameter(
                key: "\(a).rope.freq_base", value: "\(ropeBase)", requirement: "it must be a finite number above 1")
        }
        let ropeScale = try Self.ropeScale(metadata, a)
        finalLogitSoftcap = try metadata.float("\(a).final_logit_softcapping").flatMap { $0 > 0 ? $0 : nil }

        switch architecture {
        case .llama:
            ropeStyle = .adjacentPairs
            activation = .silu
            embeddingScale = 1
            normalizesQueriesAndKeys = false
            normalizesSublayerOutputs = false
            attentionScale = 1 / Float(headDimension).squareRoot()
            layers = Array(repeating: LayerAttention(ropeBase: ropeBase, ropeScale: ropeScale, window: nil), count: layerCount)
        case .gemma3:
            ropeStyle = .halves
            activation = .geluTanh
            embeddingScale = Float(embeddingLength).squareRoot()
            normalizesQueriesAndKeys = true
            normalizesSublayerOutputs = true
            // llama.cpp: 1/√(d/heads) for the 27B model (62 layers), 1/√head_dim otherwise.
            attentionScale = layerCount == 62
                ? 1 / Float(embeddingLength / headCount).squareRoot()
                : 1 / Float(headDimension).squareRoot()
            let global = LayerAttention(ropeBase: ropeBase, ropeScale: ropeScale, window: nil)
            if let window = try metadata.integer("\(a).attention.sliding_window"), window > 0 {
                // Five local layers, then one global, repeating (llama.cpp's swa pattern 6); local layers
                // use RoPE base 10 000 with no scaling.
                let local = LayerAttention(ropeBase: 10_000, ropeScale: 1, window: window)
                layers = (0 ..< layerCount).map { $0 % 6 < 5 ? local : global }
            } else {
                layers = Array(repeating: global, count: layerCount)
            }
        }
    }

    /// A positive integer key (or the default when absent).
    /// llama.cpp's `LLAMA_MAX_LAYERS`.
    static let maximumLayers = 512

    private static func positive(_ metadata: GGUFMetadata, _ key: String, default fallback: Int? = nil) throws -> Int {
        guard let value = try metadata.integer(key) ?? fallback else { throw GGUFMetadataError.missingKey(key) }
        guard value > 0, value < 1 << 31 else {
            throw ModelLoadProblem.invalidHyperparameter(key: key, value: "\(value)", requirement: "it must be a positive 32-bit integer")
        }
        return value
    }

    /// A positive integer that may also be given as one value per layer; per-layer values must all be equal.
    private static func perLayer(_ metadata: GGUFMetadata, _ key: String) throws -> Int {
        if case let .array(_, values)? = metadata[key] {
            let integers = values.compactMap(\.integer)
            guard integers.count == values.count, let first = integers.first, first > 0 else {
                throw ModelLoadProblem.invalidHyperparameter(key: key, value: "an array", requirement: "it must hold positive integers")
            }
            guard integers.allSatisfy({ $0 == first }) else {
                throw ModelLoadProblem.unsupported(feature: "a different '\(key)' per layer")
            }
            return first
        }
        return try positive(metadata, key)
    }

    /// 1 / factor for linear RoPE scaling; other scaling types are refused rather than silently ignored.
    private static func ropeScale(_ metadata: GGUFMetadata, _ a: String) throws -> Float {
        let type = try metadata.string("\(a).rope.scaling.type") ?? "none"
        let factor = try metadata.float("\(a).rope.scaling.factor") ?? metadata.float("\(a).rope.scale_linear") ?? 1
        switch type {
        case "none": return 1
        case "linear": return factor > 0 ? 1 / factor : 1
        default:
            throw ModelLoadProblem.unsupported(feature: "RoPE scaling '\(type)' ('\(a).rope.scaling.type')")
        }
    }
}
