/// Every weight of a transformer, read from a GGUF file as its architecture's design says, and checked
/// against the configuration.
package struct TransformerWeights: Sendable {
    package struct Layer: Sendable {
        /// RMSNorm weights before attention; nil where the design has no weighted norm there.
        package var attentionNorm: [Float]?
        /// Projections, with their biases where the file has them (views of `attn_qkv` where it is fused).
        package var query: WeightMatrix
        package var key: WeightMatrix
        package var value: WeightMatrix
        package var attentionOutput: WeightMatrix
        /// RMSNorm weights for q and k: one head's length, or the whole width (`Design.queryKeyNorm`).
        package var queryNorm: [Float]?
        package var keyNorm: [Float]?
        /// RMSNorm of the attention output before the residual add.
        package var postAttentionNorm: [Float]?
        /// RMSNorm weights before the feed-forward; nil where the design has no weighted norm there.
        package var feedForwardNorm: [Float]?
        /// Gate, up (views of one `ffn_up` where it is fused) and down.
        package var gate: WeightMatrix
        package var up: WeightMatrix
        package var down: WeightMatrix
        /// RMSNorm of the feed-forward output before the residual add.
        package var postFeedForwardNorm: [Float]?
    }

    /// Per-frequency divisors of RoPE's angles.
    package enum RoPEFactors: Sendable {
        /// One set for every context (Llama 3's `rope_freqs`).
        case fixed([Float])
        /// LongRoPE (Phi-3): `short` up to `TransformerConfig.ropeOriginalContext`, `long` beyond.
        case longRoPE(short: [Float], long: [Float])
    }

    /// (vocabulary, d): one embedding per row.
    package var tokenEmbedding: WeightMatrix
    package var layers: [Layer]
    /// The final RMSNorm's weights; nil for a design whose norms have none (OLMo).
    package var outputNorm: [Float]?
    /// (vocabulary, d); the token embedding itself when the file has no separate output matrix.
    package var output: WeightMatrix
    /// The output product reads the token embedding (the file has no `output.weight`).
    package var outputIsEmbedding: Bool
    /// q, k and v are views of one `attn_qkv` matrix per layer.
    package var fusesQueryKeyValue = false
    var ropeFactors: RoPEFactors?

    /// The largest tile (per thread) any matrix needs.
    var tileFloats: Int {
        let matrices = [tokenEmbedding, output] + layers.flatMap { [$0.query, $0.key, $0.value, $0.attentionOutput, $0.gate, $0.up, $0.down] }
        return matrices.map(\.tileFloats).max() ?? 0
    }

    /// The weights of the configuration's layers; with `allowingUnread`, tensors the architecture does not
    /// read are not an error (a model cut to its first layers, for tests).
    init(file: GGUFFile, config c: TransformerConfig, allowingUnread: Bool = false) throws(ModelLoadProblem) {
        var reader = TensorReader(file: file)
        let design = c.design
        let d = c.embeddingLength
        let weightedNorms = design.inputNorm == .rms
        tokenEmbedding = try reader.matrix("token_embd.weight", outputs: c.vocabularySize, inputs: d)
        outputNorm = design.inputNorm == .layerNorm ? nil : try reader.vector("output_norm.weight", count: d)
        outputIsEmbedding = switch design.output {
        case .embedding: true
        case .separate: false
        case .separateOrEmbedding: !reader.has("output.weight")
        }
        output = try outputIsEmbedding ? tokenEmbedding : reader.projection("output", outputs: c.vocabularySize, inputs: d)
        if reader.has("rope_freqs.weight") {
            ropeFactors = .fixed(try reader.vector("rope_freqs.weight", count: c.ropeDimensions / 2))
        } else if reader.has("rope_factors_long.weight") || reader.has("rope_factors_short.weight") {
            ropeFactors = .longRoPE(
                short: try reader.vector("rope_factors_short.weight", count: c.ropeDimensions / 2),
                long: try reader.vector("rope_factors_long.weight", count: c.ropeDimensions / 2))
        }

        let qWidth = c.headCount * c.headDimension
        let kWidth = c.kvHeadCount * c.headDimension
        let vWidth = c.kvHeadCount * c.valueDimension
        let (qNormWidth, kNormWidth) = design.queryKeyNorm == .wholeWidth ? (qWidth, kWidth) : (c.headDimension, c.headDimension)
        layers = []
        for l in 0 ..< c.layerCount {
            let p = "blk.\(l)."
            let query, key, value: WeightMatrix
            if reader.has(p + "attn_qkv.weight") {
                // One matrix: q's rows, then k's, then v's.
                fusesQueryKeyValue = true
                let qkv = try reader.projection(p + "attn_qkv", outputs: qWidth + kWidth + vWidth, inputs: d)
                (query, key, value) = (qkv.rows(0 ..< qWidth), qkv.rows(qWidth ..< qWidth + kWidth), qkv.rows(qWidth + kWidth ..< qWidth + kWidth + vWidth))
            } else {
                query = try reader.projection(p + "attn_q", outputs: qWidth, inputs: d)
                key = try reader.projection(p + "attn_k", outputs: kWidth, inputs: d)
                value = try reader.projection(p + "attn_v", outputs: vWidth, inputs: d)
            }
            let gate, up: WeightMatrix
            if design.fusedGateUp {
                // One matrix: the gate's rows, then up's.
                let gateUp = try reader.projection(p + "ffn_up", outputs: 2 * c.feedForwardLength, inputs: d)
                (gate, up) = (gateUp.rows(0 ..< c.feedForwardLength), gateUp.rows(c.feedForwardLength ..< 2 * c.feedForwardLength))
            } else {
                gate = try reader.projection(p + "ffn_gate", outputs: c.feedForwardLength, inputs: d)
                up = try reader.projection(p + "ffn_up", outputs: c.feedForwardLength, inputs: d)
            }
            let normalizesQueryKey = design.queryKeyNorm != .none
            layers.append(Layer(
                attentionNorm: weightedNorms ? try reader.vector(p + "attn_norm.weight", count: d) : nil,
                query: query, key: key, value: value,
                attentionOutput: try reader.projection(p + "attn_output", outputs: d, inputs: c.headCount * c.valueDimension),
                queryNorm: normalizesQueryKey ? try reader.vector(p + "attn_q_norm.weight", count: qNormWidth) : nil,
                keyNorm: normalizesQueryKey ? try reader.vector(p + "attn_k_norm.weight", count: kNormWidth) : nil,
                postAttentionNorm: design.normalizesSublayerOutputs ? try reader.vector(p + "post_attention_norm.weight", count: d) : nil,
                feedForwardNorm: weightedNorms ? try reader.vector(p + "ffn_norm.weight", count: d) : nil,
                gate: gate, up: up,
                down: try reader.projection(p + "ffn_down", outputs: d, inputs: c.feedForwardLength),
                postFeedForwardNorm: design.normalizesSublayerOutputs ? try reader.vector(p + "post_ffw_norm.weight", count: d) : nil
            ))
        }
        // As llama.cpp does: a tensor the architecture does not read means a variant it does not know.
        let unread = file.tensors.map(\.name).filter { !reader.read.contains($0) }
        guard unread.isEmpty || allowingUnread else { throw .unusedTensors(architecture: c.architecture.rawValue, names: unread) }
    }
}

/// Finds tensors by name, checks their shapes and dequantizes them.
struct TensorReader {
    let file: GGUFFile
    /// The names of the tensors read so far.
    private(set) var read: Set<String> = []

    init(file: GGUFFile) { self.file = file }

    func has(_ name: String) -> Bool { file.tensor(named: name) != nil }

    mutating func vector(_ name: String, count: Int) throws(ModelLoadProblem) -> [Float] {
        try values(name, shape: [count])
    }

    /// `name.weight` and, where the file has it, its bias `name.bias`.
    mutating func projection(_ name: String, outputs: Int, inputs: Int) throws(ModelLoadProblem) -> WeightMatrix {
        var matrix = try matrix(name + ".weight", outputs: outputs, inputs: inputs)
        if has(name + ".bias") { matrix.bias = try vector(name + ".bias", count: outputs) }
        return matrix
    }

    /// A matrix read in place from the file, in its stored format.
    mutating func matrix(_ name: String, outputs: Int, inputs: Int) throws(ModelLoadProblem) -> WeightMatrix {
        // ggml lists the row length first: a (outputs, inputs) matrix has shape [inputs, outputs].
        let info = try tensor(name, shape: [inputs, outputs])
        guard info.type.isDequantizable else { throw .unsupportedTensorType(UnsupportedTensorType(tensor: name, type: info.type)) }
        let bytes = file.bytes(of: info)
        return WeightMatrix(
            outputs: outputs, inputs: inputs, type: info.type,
            rows: MappedRows(base: bytes.baseAddress!, rowBytes: bytes.count / outputs))
    }

    private mutating func tensor(_ name: String, shape: [Int]) throws(ModelLoadProblem) -> GGUFTensorInfo {
        guard let info = file.tensor(named: name) else { throw .missingTensor(name) }
        read.insert(name)
        // A trailing dimension of 1 is the same shape (ggml drops them, some writers keep them).
        var found = info.shape
        while found.count > shape.count, found.last == 1 { found.removeLast() }
        guard found == shape else { throw .wrongShape(tensor: name, expected: shape, found: info.shape) }
        return info
    }

    private mutating func values(_ name: String, shape: [Int]) throws(ModelLoadProblem) -> [Float] {
        let info = try tensor(name, shape: shape)
        let bytes = file.bytes(of: info)
        do {
            return try [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
                try dequantize(info.type, from: bytes.baseAddress!, count: info.elementCount, into: buffer.baseAddress!, tensor: name)
                initialized = info.elementCount
            }
        } catch let error as UnsupportedTensorType {
            throw .unsupportedTensorType(error)
        } catch {
            throw .unsupported(feature: "\(error)")  // not reached: dequantize throws only UnsupportedTensorType
        }
    }
}
