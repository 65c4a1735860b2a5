/// Every weight of a transformer, read from a GGUF file and checked against the configuration.
package struct TransformerWeights: Sendable {
    package struct Layer: Sendable {
        package var attentionNorm: [Float]
        package var query: WeightMatrix
        package var key: WeightMatrix
        package var value: WeightMatrix
        package var attentionOutput: WeightMatrix
        /// Gemma: per-head RMSNorm weights for q and k.
        package var queryNorm: [Float]?
        package var keyNorm: [Float]?
        /// Gemma: RMSNorm of the attention output before the residual add.
        package var postAttentionNorm: [Float]?
        package var feedForwardNorm: [Float]
        package var gate: WeightMatrix
        package var up: WeightMatrix
        package var down: WeightMatrix
        /// Gemma: RMSNorm of the feed-forward output before the residual add.
        package var postFeedForwardNorm: [Float]?
    }

    /// (vocabulary, d): one embedding per row.
    package var tokenEmbedding: WeightMatrix
    package var layers: [Layer]
    package var outputNorm: [Float]
    /// (vocabulary, d); the token embedding itself when the file has no separate output matrix.
    package var output: WeightMatrix
    /// The output product reads the token embedding (the file has no `output.weight`).
    package var outputIsEmbedding: Bool
    var ropeFrequencyFactors: [Float]?

    /// The largest tile (per thread) any matrix needs.
    var tileFloats: Int {
        let matrices = [tokenEmbedding, output] + layers.flatMap { [$0.query, $0.key, $0.value, $0.attentionOutput, $0.gate, $0.up, $0.down] }
        return matrices.map(\.tileFloats).max() ?? 0
    }

    init(file: GGUFFile, config c: TransformerConfig) throws(ModelLoadProblem) {
        let reader = TensorReader(file: file)
        let d = c.embeddingLength
        tokenEmbedding = try reader.matrix("token_embd.weight", outputs: c.vocabularySize, inputs: d)
        outputNorm = try reader.vector("output_norm.weight", count: d)
        outputIsEmbedding = file.tensor(named: "output.weight") == nil
        output = try outputIsEmbedding ? tokenEmbedding : reader.matrix("output.weight", outputs: c.vocabularySize, inputs: d)
        ropeFrequencyFactors = try file.tensor(named: "rope_freqs.weight") == nil
            ? nil : reader.vector("rope_freqs.weight", count: c.ropeDimensions / 2)

        let gemma = c.architecture == .gemma3
        let qWidth = c.headCount * c.headDimension
        let kWidth = c.kvHeadCount * c.headDimension
        let vWidth = c.kvHeadCount * c.valueDimension
        layers = []
        for l in 0 ..< c.layerCount {
            let p = "blk.\(l)."
            layers.append(Layer(
                attentionNorm: try reader.vector(p + "attn_norm.weight", count: d),
                query: try reader.matrix(p + "attn_q.weight", outputs: qWidth, inputs: d),
                key: try reader.matrix(p + "attn_k.weight", outputs: kWidth, inputs: d),
                value: try reader.matrix(p + "attn_v.weight", outputs: vWidth, inputs: d),
                attentionOutput: try reader.matrix(p + "attn_output.weight", outputs: d, inputs: c.headCount * c.valueDimension),
                queryNorm: gemma ? try reader.vector(p + "attn_q_norm.weight", count: c.headDimension) : nil,
                keyNorm: gemma ? try reader.vector(p + "attn_k_norm.weight", count: c.headDimension) : nil,
                postAttentionNorm: gemma ? try reader.vector(p + "post_attention_norm.weight", count: d) : nil,
                feedForwardNorm: try reader.vector(p + "ffn_norm.weight", count: d),
                gate: try reader.matrix(p + "ffn_gate.weight", outputs: c.feedForwardLength, inputs: d),
                up: try reader.matrix(p + "ffn_up.weight", outputs: c.feedForwardLength, inputs: d),
                down: try reader.matrix(p + "ffn_down.weight", outputs: d, inputs: c.feedForwardLength),
                postFeedForwardNorm: gemma ? try reader.vector(p + "post_ffw_norm.weight", count: d) : nil
            ))
        }
    }
}

/// Finds tensors by name, checks their shapes and dequantizes them.
struct TensorReader {
    let file: GGUFFile

    func vector(_ name: String, count: Int) throws(ModelLoadProblem) -> [Float] {
        try values(name, shape: [count])
    }

    /// A matrix read in place from the file, in its stored format.
    func matrix(_ name: String, outputs: Int, inputs: Int) throws(ModelLoadProblem) -> WeightMatrix {
        // ggml lists the row length first: a (outputs, inputs) matrix has shape [inputs, outputs].
        let info = try tensor(name, shape: [inputs, outputs])
        guard info.type.isDequantizable else { throw .unsupportedTensorType(UnsupportedTensorType(tensor: name, type: info.type)) }
        let bytes = file.bytes(of: info)
        return WeightMatrix(
            outputs: outputs, inputs: inputs, type: info.type,
            rows: MappedRows(base: bytes.baseAddress!, rowBytes: bytes.count / outputs))
    }

    private func tensor(_ name: String, shape: [Int]) throws(ModelLoadProblem) -> GGUFTensorInfo {
        guard let info = file.tensor(named: name) else { throw .missingTensor(name) }
        // A trailing dimension of 1 is the same shape (ggml drops them, some writers keep them).
        var found = info.shape
        while found.count > shape.count, found.last == 1 { found.removeLast() }
        guard found == shape else { throw .wrongShape(tensor: name, expected: shape, found: info.shape) }
        return info
    }

    private func values(_ name: String, shape: [Int]) throws(ModelLoadProblem) -> [Float] {
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
