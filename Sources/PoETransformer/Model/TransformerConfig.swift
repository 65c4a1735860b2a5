import Foundation

/// The hyperparameters of a decoder-only transformer, read from GGUF metadata (`{arch}.*` keys) as its
/// architecture's ``Design`` says.
public struct TransformerConfig: Sendable, Equatable {
    /// How one layer attends: its RoPE frequencies and, for local layers, its window.
    public struct LayerAttention: Sendable, Equatable {
        /// The frequency base θ.
        public var ropeBase: Float
        /// Position multiplier (1 / linear scaling factor).
        public var ropeScale: Float
        /// Multiplies RoPE's cos and sin, so queries and keys (`rope.scaling.attn_factor`, and YaRN's
        /// 1 + 0.1 ln(factor)).
        public var ropeAttentionFactor: Float
        /// With YaRN scaling, the original context it ramps between interpolation and extrapolation by;
        /// nil without.
        public var yarnOriginalContext: Int?
        /// A query at position p sees keys at positions p - window + 1 ... p; nil sees all earlier keys.
        public var window: Int?

        /// A layer's attention settings.
        public init(ropeBase: Float, ropeScale: Float, ropeAttentionFactor: Float = 1, yarnOriginalContext: Int? = nil, window: Int?) {
            self.ropeBase = ropeBase
            self.ropeScale = ropeScale
            self.ropeAttentionFactor = ropeAttentionFactor
            self.yarnOriginalContext = yarnOriginalContext
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
    /// The epsilon of every norm.
    public var normEpsilon: Float
    /// Leading dimensions of each head that RoPE rotates.
    public var ropeDimensions: Int
    /// The context LongRoPE's short factors are for: a longer session uses the long ones
    /// (`rope.scaling.original_context_length`, else the trained context).
    public var ropeOriginalContext: Int
    /// Each layer's attention settings.
    public var layers: [LayerAttention]
    /// Multiplies q·k before the softmax.
    public var attentionScale: Float
    /// Multiplies token embeddings (Gemma: √d).
    public var embeddingScale: Float
    /// `c · tanh(score / c)` on attention scores (after `attentionScale`), when set.
    public var attentionSoftcap: Float?
    /// `c · tanh(logit / c)` on the output, when set.
    public var finalLogitSoftcap: Float?
    /// q, k and v are clamped to ± this, when set (OLMo's `attention.clamp_kqv`).
    public var queryKeyValueClamp: Float?

    /// The architecture's design: what its forward pass does besides the common steps.
    public var design: Design { architecture.design }

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
        let design = architecture.design
        let epsilonKey = design.inputNorm == .layerNorm ? "\(a).attention.layer_norm_epsilon" : "\(a).attention.layer_norm_rms_epsilon"
        normEpsilon = try metadata.requireFloat(epsilonKey)
        guard normEpsilon.isFinite, normEpsilon >= 0 else {
            throw ModelLoadProblem.invalidHyperparameter(key: epsilonKey, value: "\(normEpsilon)", requirement: "it must be finite and not negative")
        }
        ropeDimensions = try Self.positive(metadata, "\(a).rope.dimension_count", default: headDimension)
        guard ropeDimensions <= headDimension, ropeDimensions % 2 == 0 else {
            throw ModelLoadProblem.invalidHyperparameter(
                key: "\(a).rope.dimension_count", value: "\(ropeDimensions)",
                requirement: "it must be even and at most the head length \(headDimension)")
        }
        let ropeBase = try Self.ropeBase(metadata, "\(a).rope.freq_base") ?? 10_000
        let (ropeScale, yarn) = try Self.ropeScale(metadata, a)
        ropeOriginalContext = try Self.positive(metadata, "\(a).rope.scaling.original_context_length", default: contextLength)
        // llama.cpp (llama-context.cpp and ggml's rope_yarn): YaRN's cos and sin grow by 1 + 0.1 ln(factor).
        let ropeAttentionFactor = try (Self.finite(metadata, "\(a).rope.scaling.attn_factor") ?? 1) * (yarn ? 1 + 0.1 * log(1 / ropeScale) : 1)
        let yarnOriginalContext = yarn ? ropeOriginalContext : nil

        embeddingScale = design.scalesEmbeddings ? Float(embeddingLength).squareRoot() : 1
        // llama.cpp: 1/√(d/heads) for the 27B models (known by their layer count), 1/√(head length) otherwise.
        attentionScale = design.largeModelLayerCount == layerCount
            ? 1 / Float(embeddingLength / headCount).squareRoot()
            : 1 / Float(headDimension).squareRoot()
        attentionSoftcap = try design.attentionSoftcap.flatMap { fallback in
            try Self.finite(metadata, "\(a).attn_logit_softcapping") ?? fallback
        }.flatMap { $0 > 0 ? $0 : nil }
        finalLogitSoftcap = try (Self.finite(metadata, "\(a).final_logit_softcapping") ?? design.finalSoftcap).flatMap { $0 > 0 ? $0 : nil }
        queryKeyValueClamp = design.clampsQueryKeyValue
            ? try Self.finite(metadata, "\(a).attention.clamp_kqv").flatMap { $0 > 0 ? $0 : nil } : nil

        let global = LayerAttention(
            ropeBase: ropeBase, ropeScale: ropeScale, ropeAttentionFactor: ropeAttentionFactor, yarnOriginalContext: yarnOriginalContext, window: nil)
        layers = Array(repeating: global, count: layerCount)
        if let sliding = design.slidingWindows,
           let window = try metadata.integer("\(a).attention.sliding_window") ?? sliding.defaultWindow, window > 0 {
            let local = switch sliding.localRoPE {
            case let .fixedBase(base): LayerAttention(ropeBase: base, ropeScale: 1, window: window)
            case .globalBaseUnscaled: LayerAttention(ropeBase: ropeBase, ropeScale: 1, window: window)
            case .swaBaseOrGlobal:
                LayerAttention(
                    ropeBase: try Self.ropeBase(metadata, "\(a).rope.freq_base_swa") ?? ropeBase, ropeScale: ropeScale,
                    ropeAttentionFactor: ropeAttentionFactor, yarnOriginalContext: yarnOriginalContext, window: window)
            }
            let slides = try Self.slidingLayers(metadata, "\(a).attention.sliding_window_pattern", period: sliding.period, layers: layerCount)
            for l in 0 ..< layerCount where slides[l] { layers[l] = local }
        }
    }

    /// Which layers slide: the file's pattern (a period, or a flag per layer), else every layer l with
    /// `l % period < period − 1` (llama.cpp's `set_swa_pattern`).
    private static func slidingLayers(_ metadata: GGUFMetadata, _ key: String, period defaultPeriod: Int, layers: Int) throws -> [Bool] {
        if case let .array(_, values)? = metadata[key] {
            let flags = values.compactMap(\.bool)
            guard flags.count == layers else {
                throw ModelLoadProblem.invalidHyperparameter(key: key, value: "an array of \(values.count)", requirement: "it must hold one boolean per layer (\(layers))")
            }
            return flags
        }
        let period = try positive(metadata, key, default: defaultPeriod)
        return (0 ..< layers).map { $0 % period < period - 1 }
    }

    /// A float key that must be finite when present.
    private static func finite(_ metadata: GGUFMetadata, _ key: String) throws -> Float? {
        guard let value = try metadata.float(key) else { return nil }
        guard value.isFinite else {
            throw ModelLoadProblem.invalidHyperparameter(key: key, value: "\(value)", requirement: "it must be a finite number")
        }
        return value
    }

    /// A RoPE frequency base, when present: finite and above 1.
    private static func ropeBase(_ metadata: GGUFMetadata, _ key: String) throws -> Float? {
        guard let base = try metadata.float(key) else { return nil }
        guard base.isFinite, base > 1 else {
            throw ModelLoadProblem.invalidHyperparameter(key: key, value: "\(base)", requirement: "it must be a finite number above 1")
        }
        return base
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

    /// 1 / factor, for linear scaling (llama.cpp's default type when the file names none), LongRoPE (whose
    /// factors are tensors, `TransformerWeights`) and YaRN (then also `true`).
    private static func ropeScale(_ metadata: GGUFMetadata, _ a: String) throws -> (scale: Float, yarn: Bool) {
        let type = try metadata.string("\(a).rope.scaling.type") ?? "linear"
        let factor = try metadata.float("\(a).rope.scaling.factor") ?? metadata.float("\(a).rope.scale_linear") ?? 1
        switch type {
        case "none": return (1, false)
        case "linear", "longrope", "yarn":
            guard factor.isFinite, factor >= 0 else {
                throw ModelLoadProblem.invalidHyperparameter(key: "\(a).rope.scaling.factor", value: "\(factor)", requirement: "it must be a finite number, not negative")
            }
            return (factor > 0 ? 1 / factor : 1, type == "yarn")
        default:
            throw ModelLoadProblem.unsupported(feature: "RoPE scaling '\(type)' ('\(a).rope.scaling.type')")
        }
    }
}
