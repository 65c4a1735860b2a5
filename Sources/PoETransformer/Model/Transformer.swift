import PoE

/// A decoder-only transformer (`llama` or `gemma3`) loaded from a GGUF file, possibly with LoRA adapters
/// (`adapted(by:)`).
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
    /// The adapters this view of the model applies (none as loaded).
    public let adapters: [ScaledAdapter]
    let adapterTable: AdapterTable

    /// The longest sequence the model was trained for.
    public var contextLength: Int { config.contextLength }
    public var vocabulary: Vocabulary { tokenizer.vocabulary }

    /// Loads the model at `path`, mapping the file: weights stay in their quantized blocks, read in place.
    public convenience init(path: String) throws {
        try self.init(file: GGUFFile(path: path))
    }

    /// The model in an opened GGUF file; throws `ModelLoadError` naming what is unsupported or missing.
    public convenience init(file: GGUFFile) throws(ModelLoadError) {
        try self.init(file: file, layers: nil)
    }

    /// The model, or with `layers` only its first layers (then the output norm and matrix): a smaller
    /// function of the same weights, for tests that compare it with another implementation.
    package init(file: GGUFFile, layers: Int?) throws(ModelLoadError) {
        self.file = file
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
            weights = try TransformerWeights(file: file, config: config)
        } catch {
            throw ModelLoadError(path: file.path, problem: error)
        }
        var variants: [RotaryEmbedding] = []
        var layerRotation: [Int] = []
        for layer in config.layers {
            let rope = RotaryEmbedding(
                dimensions: config.ropeDimensions, base: layer.ropeBase, scale: layer.ropeScale,
                style: config.ropeStyle, frequencyFactors: weights.ropeFrequencyFactors)
            if let index = variants.firstIndex(where: { $0.base == rope.base && $0.scale == rope.scale }) {
                layerRotation.append(index)
            } else {
                layerRotation.append(variants.count)
                variants.append(rope)
            }
        }
        rotaryEmbeddings = variants
        self.layerRotation = layerRotation
        adapters = []
        adapterTable = .none
    }

    /// A view of `base` with other adapters: everything else is shared.
    init(sharing base: Transformer, adapters: [ScaledAdapter]) {
        file = base.file
        config = base.config
        tokenizer = base.tokenizer
        weights = base.weights
        rotaryEmbeddings = base.rotaryEmbeddings
        layerRotation = base.layerRotation
        self.adapters = adapters
        adapterTable = AdapterTable(adapters)
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
