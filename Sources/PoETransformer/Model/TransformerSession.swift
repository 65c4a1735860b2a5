import PoE

/// One sequence on a `Transformer`: its tokens, KV cache and activation buffers.
///
/// Not thread-safe: a session is used by one task at a time (several sessions may run in parallel).
public final class TransformerSession: LanguageModelSession {
    public let model: Transformer
    public let capacity: Int
    public private(set) var tokens: [TokenID] = []

    let cache: KVCache
    let buffers: ActivationBuffers

    /// Tokens per forward pass; longer appends run in chunks of this many (llama.cpp's default micro-batch).
    public var chunkSize = 512

    init(model: Transformer, capacity: Int) {
        self.model = model
        self.capacity = capacity
        let c = model.config
        cache = KVCache(
            layers: c.layerCount, keyWidth: c.kvHeadCount * c.headDimension,
            valueWidth: c.kvHeadCount * c.valueDimension, initialPositions: min(capacity, 256))
        buffers = ActivationBuffers(config: c, ropeVariants: model.rotaryEmbeddings.count)
    }

    private init(copying other: TransformerSession) {
        model = other.model
        capacity = other.capacity
        tokens = other.tokens
        cache = other.cache.copy(positions: other.tokens.count)
        buffers = ActivationBuffers(config: other.model.config, ropeVariants: other.model.rotaryEmbeddings.count)
    }

    public func append(_ newTokens: [TokenID], logits request: LogitRequest) throws -> LogitMatrix {
        let vocabularySize = model.vocabulary.count
        try model.vocabulary.validate(newTokens)
        guard tokens.count + newTokens.count <= capacity else {
            throw LanguageModelError.contextFull(needed: tokens.count + newTokens.count, capacity: capacity)
        }
        if newTokens.isEmpty {
            if request == .last { throw LanguageModelError.emptyInput }
            return .empty(columns: vocabularySize)
        }
        cache.reserve(positions: tokens.count + newTokens.count, filled: tokens.count)

        let rows = switch request {
        case .none: 0
        case .last: 1
        case .all: newTokens.count
        }
        let values = [Float](unsafeUninitializedCapacity: rows * vocabularySize) { output, initialized in
            var start = 0
            while start < newTokens.count {
                let chunk = newTokens[start ..< min(start + chunkSize, newTokens.count)]
                forward(chunk, firstPosition: tokens.count + start)
                let isLast = chunk.endIndex == newTokens.count
                switch request {
                case .none: break
                case .last where isLast:
                    logits(ofRows: chunk.count - 1 ..< chunk.count, into: output.baseAddress!)
                case .last: break
                case .all:
                    logits(ofRows: 0 ..< chunk.count, into: output.baseAddress! + start * vocabularySize)
                }
                start = chunk.endIndex
            }
            initialized = rows * vocabularySize
        }
        tokens += newTokens
        return LogitMatrix(rows: rows, columns: vocabularySize, values: values)
    }

    public func truncate(to count: Int) throws {
        guard (0 ... tokens.count).contains(count) else {
            throw LanguageModelError.invalidTruncation(to: count, count: tokens.count)
        }
        // Cached positions past `count` are simply overwritten by the next append.
        tokens.removeLast(tokens.count - count)
    }

    public func fork() throws -> TransformerSession {
        TransformerSession(copying: self)
    }
}

/// The activations of one forward pass, for up to a chunk of tokens, reused across passes.
final class ActivationBuffers {
    /// The residual stream (tokens, d).
    let x = FloatBuffer(count: 0)
    /// A normalized copy of x, input to each sublayer (tokens, d).
    let normed = FloatBuffer(count: 0)
    /// A sublayer's output before the residual add (tokens, d).
    let sublayer = FloatBuffer(count: 0)
    /// Queries (tokens, heads · headDimension).
    let queries = FloatBuffer(count: 0)
    /// Attention output (tokens, heads · valueDimension).
    let attended = FloatBuffer(count: 0)
    /// Attention weights of one head (tokens, visible keys).
    let scores = FloatBuffer(count: 0)
    /// Feed-forward gate and up projections (tokens, ffn).
    let gate = FloatBuffer(count: 0)
    let up = FloatBuffer(count: 0)
    /// RoPE (cos, sin) tables (tokens, ropeDimensions), one per RoPE variant.
    let rotations: [FloatBuffer]

    private let config: TransformerConfig

    init(config: TransformerConfig, ropeVariants: Int) {
        self.config = config
        rotations = (0 ..< ropeVariants).map { _ in FloatBuffer(count: 0) }
    }

    /// Makes room for a pass of `tokens` tokens whose keys span `keys` positions.
    func reserve(tokens: Int, keys: Int) {
        let c = config
        for buffer in [x, normed, sublayer] { buffer.reserve(tokens * c.embeddingLength) }
        queries.reserve(tokens * c.headCount * c.headDimension)
        attended.reserve(tokens * c.headCount * c.valueDimension)
        scores.reserve(tokens * keys)
        gate.reserve(tokens * c.feedForwardLength)
        up.reserve(tokens * c.feedForwardLength)
        for buffer in rotations { buffer.reserve(tokens * c.ropeDimensions) }
    }
}
