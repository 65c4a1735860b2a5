import PoE
import PoEKernels

/// One sequence on a `Transformer`: its tokens, KV cache and activation buffers.
///
/// Not thread-safe: a session is used by one task at a time (several sessions may run in parallel).
public final class TransformerSession: LanguageModelSession {
    /// The model the session runs.
    public let model: Transformer
    public let capacity: Int
    public internal(set) var tokens: [TokenID] = []

    let cache: KVCache
    let buffers: ActivationBuffers
    /// RoPE for this session's capacity (LongRoPE's short or long factors).
    let rotary: [RotaryEmbedding]

    /// Tokens per forward pass; longer appends run in chunks of this many (llama.cpp's default micro-batch).
    public var chunkSize = TransformerSession.defaultChunkSize

    /// The default `chunkSize`.
    static let defaultChunkSize = 512

    /// Positions a new session's cache holds before it grows.
    static let initialPositions = 256

    init(model: Transformer, capacity: Int) {
        self.model = model
        self.capacity = capacity
        let c = model.config
        cache = KVCache(
            keyWidth: c.kvHeadCount * c.headDimension, valueWidth: c.kvHeadCount * c.valueDimension,
            windows: c.layers.map(\.window), initialPositions: min(capacity, Self.initialPositions), precision: model.kvCache)
        buffers = ActivationBuffers(model: model)
        rotary = model.rotaryEmbeddings(capacity: capacity)
    }

    private init(copying other: TransformerSession) {
        model = other.model
        capacity = other.capacity
        tokens = other.tokens
        cache = other.cache.copy(positions: other.tokens.count)
        buffers = ActivationBuffers(model: other.model)
        rotary = other.rotary
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

        let rows = switch request {
        case .none: 0
        case .last: 1
        case .all: newTokens.count
        }
        if rows > 1 { try SystemMemory.require(rows * vocabularySize * MemoryLayout<Float>.stride, for: "logits for \(rows) positions") }
        let values = try [Float](unsafeUninitializedCapacity: rows * vocabularySize) { output, initialized in
            var start = 0
            while start < newTokens.count {
                let chunk = newTokens[start ..< min(start + chunkSize, newTokens.count)]
                // Chunk by chunk, so that a window layer can drop what the chunk's queries no longer see.
                try cache.reserve(positions: tokens.count + chunk.endIndex, filled: tokens.count + start)
                let isLast = chunk.endIndex == newTokens.count
                let outputs = switch request {
                case .none: 0 ..< 0
                case .last: isLast ? chunk.count - 1 ..< chunk.count : 0 ..< 0
                case .all: 0 ..< chunk.count
                }
                let slice = SequenceSlice(cache: cache, firstPosition: tokens.count + start, rows: 0 ..< chunk.count, rotary: rotary, adapters: model.adapterTable)
                let adapted = model.forward(chunk, slices: [slice], outputs: outputs, buffers: buffers)
                if !outputs.isEmpty {
                    let first = request == .all ? start : 0
                    model.logits(ofRows: 0 ..< outputs.count, adapted: adapted, buffers: buffers, into: output.baseAddress! + first * vocabularySize)
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
        try cache.truncate(to: count)
        tokens.removeLast(tokens.count - count)
    }

    public func fork() throws -> TransformerSession {
        TransformerSession(copying: self)
    }

    /// Appends `tokens[i]` to `sessions[i]` and returns the logits after each (row i for session i), in one
    /// forward pass per group of up to `WeightMatrix.fusedLimit` sessions. Each row is computed exactly as
    /// `append([tokens[i]], logits: .last)` would, bit for bit: the fused kernels' per-row arithmetic does
    /// not depend on how many rows share a pass (larger groups would switch to OpenBLAS, which rounds
    /// differently, and greedy outputs would then depend on the batch size).
    static func decode(_ sessions: [TransformerSession], tokens: [TokenID]) throws -> LogitMatrix {
        guard let first = sessions.first else { return .empty(columns: 0) }
        guard sessions.count == tokens.count else { throw LanguageModelError.invalidBatch }
        let model = first.model
        // One set of weights (adapted views of one model share theirs) and one precision, distinct sessions.
        guard sessions.allSatisfy({ $0.model.file === model.file && $0.model.activations == model.activations }), Set(sessions.map(ObjectIdentifier.init)).count == sessions.count else {
            throw LanguageModelError.invalidBatch
        }
        try model.vocabulary.validate(tokens)
        for session in sessions where session.tokens.count + 1 > session.capacity {
            throw LanguageModelError.contextFull(needed: session.tokens.count + 1, capacity: session.capacity)
        }
        let vocabularySize = model.vocabulary.count
        let rows = sessions.count
        let logitBytes = rows * vocabularySize * MemoryLayout<Float>.stride
        if logitBytes > 1 << 26 { try SystemMemory.require(logitBytes, for: "logits for a batch of \(rows)") }  // small batches: no system call
        for session in sessions {
            try session.cache.reserve(positions: session.tokens.count + 1, filled: session.tokens.count)
        }
        let values = [Float](unsafeUninitializedCapacity: rows * vocabularySize) { output, initialized in
            for group in stride(from: 0, to: rows, by: WeightMatrix.fusedLimit).map({ $0 ..< min($0 + WeightMatrix.fusedLimit, rows) }) {
                let slices = group.map { i in
                    SequenceSlice(
                        cache: sessions[i].cache, firstPosition: sessions[i].tokens.count, rows: i - group.lowerBound ..< i - group.lowerBound + 1,
                        rotary: sessions[i].rotary, adapters: sessions[i].model.adapterTable)
                }
                let adapted = model.forward(tokens[group], slices: slices, outputs: 0 ..< group.count, buffers: first.buffers)
                model.logits(ofRows: 0 ..< group.count, adapted: adapted, buffers: first.buffers, into: output.baseAddress! + group.lowerBound * vocabularySize)
            }
            initialized = rows * vocabularySize
        }
        for (session, token) in zip(sessions, tokens) { session.tokens.append(token) }
        return LogitMatrix(rows: rows, columns: vocabularySize, values: values)
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
    /// New keys and values (tokens, kvHeads · head length), before they join their caches.
    let newKeys = FloatBuffer(count: 0)
    let newValues = FloatBuffer(count: 0)
    /// Attention output (tokens, heads · valueDimension).
    let attended = FloatBuffer(count: 0)
    /// Attention weights, per thread: (tokens, visible keys) for a prompt, (heads, visible keys) for a decode step.
    let scores = FloatBuffer(count: 0)
    /// For a half-precision cache, one key/value head's visible keys and values widened to floats for the
    /// prompt path's matrix products, per thread: (keys, headDimension + valueDimension).
    let widened = FloatBuffer(count: 0)
    /// A tile of dequantized weights, for products with many rows of activations.
    let tile = FloatBuffer(count: 0)
    /// The input of a product rounded to 8 bits, for a model with `q8` activations.
    let roundedInput = FloatBuffer(count: 0)
    /// LoRA's inner products, X Aᵀ (tokens, rank).
    let adapterHidden = FloatBuffer(count: 0)
    /// Feed-forward gate and up projections (tokens, ffn).
    let gate = FloatBuffer(count: 0)
    let up = FloatBuffer(count: 0)
    /// RoPE (cos, sin) tables (tokens, ropeDimensions), one per RoPE variant.
    let rotations: [FloatBuffer]

    private let config: TransformerConfig
    private let activations: ActivationPrecision
    private let kvCache: KVCachePrecision

    /// The largest tile any weight matrix needs, per thread.
    private let tileFloats: Int

    init(model: Transformer) {
        config = model.config
        activations = model.activations
        kvCache = model.kvCache
        tileFloats = model.weights.tileFloats
        rotations = (0 ..< model.rotaryEmbeddings.count).map { _ in FloatBuffer(count: 0) }
    }

    /// The scratch of a prompt's attention.
    var attentionScratch: AttentionScratch {
        AttentionScratch(scores: scores.pointer, widened: widened.pointer)
    }

    /// The scratch of the weight products.
    var products: ProductScratch {
        ProductScratch(tile: tile.pointer, roundedInput: activations == .q8 ? UnsafeMutableRawPointer(roundedInput.pointer) : nil)
    }

    /// Makes room for a pass of `tokens` tokens whose keys span `keys` positions, with scratch for as many
    /// threads as `ComputeThreads` says now (it may have changed since the last pass).
    func reserve(tokens: Int, keys: Int, adapterRank: Int) {
        let c = config
        adapterHidden.reserve(tokens * adapterRank)
        for buffer in [x, normed, sublayer] { buffer.reserve(tokens * c.embeddingLength) }
        queries.reserve(tokens * c.headCount * c.headDimension)
        newKeys.reserve(tokens * c.kvHeadCount * c.headDimension)
        newValues.reserve(tokens * c.kvHeadCount * c.valueDimension)
        attended.reserve(tokens * c.headCount * c.valueDimension)
        scores.reserve(max(tokens, c.headCount) * keys * ComputeThreads.count)
        if kvCache == .f16 && tokens > 1 { widened.reserve(keys * (c.headDimension + c.valueDimension) * ComputeThreads.count) }
        gate.reserve(tokens * c.feedForwardLength)
        up.reserve(tokens * c.feedForwardLength)
        for buffer in rotations { buffer.reserve(tokens * c.ropeDimensions) }
        // Only products with many rows of activations dequantize tiles.
        if tokens > WeightMatrix.fusedLimit { tile.reserve(tileFloats * ComputeThreads.count) }
        if activations == .q8 {
            // A poe_q8_block (10 floats) per 32 inputs of the widest input of any product, for as many rows
            // as take the fused kernels (a long prompt's last rows may, for their logits).
            let widest = max(c.embeddingLength, c.feedForwardLength, c.headCount * c.valueDimension)
            roundedInput.reserve(min(tokens, WeightMatrix.fusedLimit) * ((widest + 31) / 32) * MemoryLayout<poe_q8_block>.stride / MemoryLayout<Float>.stride)
        }
    }
}
