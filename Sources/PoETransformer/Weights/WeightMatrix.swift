/// A weight matrix W of shape (outputs, inputs), stored one output per row, and the one place where the
/// model multiplies activations by weights.
///
/// Weights are dequantized to Float once, at load; every product goes through `apply`, so a quantized
/// kernel can later replace this one without touching the model code.
struct WeightMatrix: Sendable {
    let outputs: Int
    let inputs: Int
    /// Row-major (outputs, inputs).
    let values: [Float]
    /// Y (tokens, outputs) = X (tokens, inputs) · Wᵀ
    func apply(_ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>) {
        values.withUnsafeBufferPointer { w in
            // X (tokens, inputs) @ Wᵀ (inputs, outputs) -> Y (tokens, outputs)
            gemm(m: tokens, n: outputs, k: inputs, x, lda: inputs, w.baseAddress!, ldb: inputs, transposeB: true, y, ldc: outputs)
        }
    }

    /// Copies row `index` (for an embedding table, the vector of token `index`) into `out`, times `scale`.
    func copyRow(_ index: Int, scale: Float = 1, into out: UnsafeMutablePointer<Float>) {
        values.withUnsafeBufferPointer { w in
            let row = w.baseAddress! + index * inputs
            for i in 0 ..< inputs { out[i] = row[i] * scale }
        }
    }
}
