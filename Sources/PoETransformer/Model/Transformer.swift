import PoE

/// A decoder-only transformer of any ``TransformerConfig/Architecture`` loaded from a GGUF file, possibly
/// with LoRA adapters (`adapted(by:)`).
///
/// Immutable after loading, so one instance serves any number of sessions on any threads.
public final class Transformer: LanguageModel {
    /// The GGUF file the weights are read from, in place.
    public let file: GGUFFile
    /// The hyperparameters.
    public let config: TransformerConfig
    /// The model's tokenizer, from the same file.
    public let tokenizer: GGUFTokenizer
    package let weights: TransformerWeights
    /// The distinct RoPE variants, and which one each layer uses (Gemma 3 has a local and a global one).
    package let rotaryEmbeddings: [RotaryEmbedding]
    package let layerRotation: [Int]
    /// The same variants with LongRoPE's long factors, for sessions longer than the original context.
    let longContextRotaryEmbeddings: [RotaryEmbedding]?
    /// How activations enter the decode products (float32 unless loaded with `.q8`).
    public let activations: ActivationPrecision
    /// How its sessions' KV caches store keys and values (float32 unless loaded with `.f16`).
    public let kvCache: KVCachePrecision
    /// The adapters this view of the model applies (none as loaded).
    public let adapters: [ScaledAdapter]
    let adapterTable: AdapterTable

    /// The longest sequence the model was trained for.
    public var contextLength: Int { config.contextLength }
    public var vocabulary: Vocabulary { tokenizer.vocabulary }

    /// Loads the model at `path`, mapping the file: weights stay in their quantized blocks, read in place.
    /// `activations` chooses float32 (the default) or 8-bit activations for decoding (``ActivationPrecision``),
    /// `kvCache` float32 (the default) or half-precision KV caches for its sessions (``KVCachePrecision``).
    public convenience init(path: String, activations: ActivationPrecision = .f32, kvCache: KVCachePrecision = .f32) throws {
        try self.init(file: GGUFFile(path: path), activations: activations, kvCache: kvCache)
    }

    /// The model in an opened GGUF file; throws `ModelLoadError` naming what is unsupported or missing.
    public convenience init(file: GGUFFile, activations: ActivationPrecision = .f32, kvCache: KVCachePrecision = .f32) throws(ModelLoadError) {
        try self.init(file: file, layers: nil, activations: activations, kvCache: kvCache)
    }

    /// The model, or with `layers` only its first layers (then the output norm and matrix): a smaller
    /// function of the same weights, for tests that compare it with another implementation.
    package init(file: GGUFFile, layers: Int?, activations: ActivationPrecision = .f32, kvCache: KVCachePrecision = .f32) throws(ModelLoadError) {
        self.file = file
        self.activations = activations
        self.kvCache = kvCache
        do throws(ModelLoadProblem) {
            do {
                tokenizer = try GGUFTokenizer(metadata: file.metadata)
            } catch {
                throw .tokenizer(error)
            }
            var config = try TransformerConfig(metadata: file.metadata, vocabularySize: tokenizer.vocabulary.count)
            if let layers, layers < config.layerCount {
                config.layerCount = layers
                config.layers = Array(config.layers.prefix(layers))
            }
            self.config = config
            weights = try TransformerWeights(file: file, config: config, allowingUnread: layers != nil)
        } catch {
            throw ModelLoadError(path: file.path, problem: error)
        }
        let (factors, longFactors): ([Float]?, [Float]?) = switch weights.ropeFactors {
        case let .longRoPE(short, long): (short, long)
        case let .fixed(factors): (factors, nil)
        case nil: (nil, nil)
        }
        (rotaryEmbeddings, layerRotation) = Self.ropeVariants(config, factors: factors)
        longContextRotaryEmbeddings = longFactors.map { [config] in Self.ropeVariants(config, factors: $0).variants }
        adapters = []
        adapterTable = .none
    }

    /// A view of `base` with other adapters: everything else is shared.
    init(sharing base: Transformer, adapters: [ScaledAdapter]) {
        file = base.file
        config = base.config
        activations = base.activations
        kvCache = base.kvCache
        tokenizer = base.tokenizer
        weights = base.weights
        rotaryEmbeddings = base.rotaryEmbeddings
        layerRotation = base.layerRotation
        longContextRotaryEmbeddings = base.longContextRotaryEmbeddings
        self.adapters = adapters
        adapterTable = AdapterTable(adapters)
    }

    /// The distinct RoPE variants of the layers, and which one each layer uses.
    private static func ropeVariants(_ config: TransformerConfig, factors: [Float]?) -> (variants: [RotaryEmbedding], layers: [Int]) {
        var variants: [RotaryEmbedding] = [], layers: [Int] = []
        for layer in config.layers {
            let rope = RotaryEmbedding(dimensions: config.ropeDimensions, layer: layer, style: config.design.ropeStyle, frequencyFactors: factors)
            if let index = variants.firstIndex(where: { $0.rotatesLike(rope) }) {
                layers.append(index)
            } else {
                layers.append(variants.count)
                variants.append(rope)
            }
        }
        return (variants, layers)
    }

    /// The RoPE variants for a sequence of at most `capacity` tokens: LongRoPE's long factors when that
    /// exceeds the original context, as llama.cpp decides with its context rounded up to 256.
    func rotaryEmbeddings(capacity: Int) -> [RotaryEmbedding] {
        let padded = (capacity + 255) / 256 * 256
        if let long = longContextRotaryEmbeddings, padded > config.ropeOriginalContext { return long }
        return rotaryEmbeddings
    }

    /// Steps several sessions together, one token each, in one forward pass: their weight products become
    /// one product with a row per session. Each row's logits equal that session's single-token append.
    /// The sessions may belong to different adapted views of one model (each keeps its own adapters).
    public func decode(_ sessions: [TransformerSession], tokens: [TokenID]) throws -> LogitMatrix {
        try TransformerSession.decode(sessions, tokens: tokens)
    }

    /// A new, empty sequence of at most `capacity` tokens (default: the context length). Its KV cache
    /// grows as it fills; throws `MemoryError` when the machine lacks the memory for the first positions.
    public func makeSession(capacity: Int? = nil) throws -> TransformerSession {
        let capacity = capacity ?? config.contextLength
        guard capacity > 0 else { throw LanguageModelError.contextFull(needed: 1, capacity: capacity) }
        try SystemMemory.require(cacheBytes(positions: min(capacity, TransformerSession.initialPositions)), for: "a new session's KV cache")
        return TransformerSession(model: self, capacity: capacity)
    }
}
