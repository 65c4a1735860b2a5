import PoETransformer

/// A weight matrix dequantized once to float32 for training: a training step multiplies every weight
/// matrix by thousands of rows, forward and backward, and dequantizing the quantized blocks each time
/// (as inference does, tile by tile) took most of a step on Gemma, whose output matrix alone is 168
/// million values. The values are the same exactly dequantized weights; the memory is 4 bytes a weight.
struct DenseMatrix: @unchecked Sendable {
    let outputs: Int
    let inputs: Int
    /// (outputs, inputs), row-major.
    let values: UnsafeMutablePointer<Float>
    /// Added to each output row (Qwen 2's q, k, v), when the model has it.
    let bias: [Float]?

    init(_ matrix: WeightMatrix) {
        outputs = matrix.outputs
        inputs = matrix.inputs
        bias = matrix.bias
        values = .allocate(capacity: outputs * inputs)
        // Straight into place: a temporary copy would double the peak (Gemma's output matrix is 671 MB).
        matrix.dequantize(into: values)
    }

    func deallocate() { values.deallocate() }

    /// Y (tokens, outputs) = X (tokens, inputs) · Wᵀ + bias, W's rows split across threads.
    func apply(_ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>) {
        let io = DensePointers(a: x, b: values, c: y)
        let (inputs, outputs, bias) = (inputs, outputs, bias)
        parallelChunks(outputs, minimumChunk: 64) { _, range in
            // X (tokens, inputs) @ W[range]ᵀ (inputs, count) -> Y[:, range]
            gemm(m: tokens, n: range.count, k: inputs, io.a, lda: inputs, io.b + range.lowerBound * inputs, ldb: inputs, transposeB: true,
                 io.c + range.lowerBound, ldc: outputs)
            if let bias {
                for t in 0 ..< tokens { for o in range { io.c[t * outputs + o] += bias[o] } }
            }
        }
    }

    /// dX (tokens, inputs) += dY (tokens, outputs) · W, dX's columns split across threads.
    func applyTransposed(_ dy: UnsafePointer<Float>, tokens: Int, into dx: UnsafeMutablePointer<Float>) {
        let io = DensePointers(a: dy, b: values, c: dx)
        let (inputs, outputs) = (inputs, outputs)
        parallelChunks(inputs, minimumChunk: 32) { _, range in
            // dY (tokens, outputs) @ W[:, range] (outputs, count) -> dX[:, range], added
            gemm(m: tokens, n: range.count, k: outputs, io.a, lda: outputs, io.b + range.lowerBound, ldb: inputs, transposeB: false,
                 io.c + range.lowerBound, ldc: inputs, beta: 1)
        }
    }
}

/// A product's operands, lent to the threads of one `parallelChunks` call.
///
/// `@unchecked Sendable` is safe: `parallelChunks` returns only when every chunk is done, the inputs are
/// only read, and each chunk writes its own columns of the output.
private struct DensePointers: @unchecked Sendable {
    let a: UnsafePointer<Float>
    let b: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>
}

/// Every matrix a training step multiplies by, dequantized: each layer's seven and the output matrix.
final class DenseWeights {
    struct Layer {
        let query, key, value, attentionOutput, gate, up, down: DenseMatrix
    }

    let layers: [Layer]
    let output: DenseMatrix

    init(_ weights: TransformerWeights) {
        layers = weights.layers.map { l in
            Layer(
                query: DenseMatrix(l.query), key: DenseMatrix(l.key), value: DenseMatrix(l.value), attentionOutput: DenseMatrix(l.attentionOutput),
                gate: DenseMatrix(l.gate), up: DenseMatrix(l.up), down: DenseMatrix(l.down))
        }
        output = DenseMatrix(weights.output)
    }

    deinit {
        for l in layers { for m in [l.query, l.key, l.value, l.attentionOutput, l.gate, l.up, l.down] { m.deallocate() } }
        output.deallocate()
    }
}
