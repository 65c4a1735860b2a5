import PoEKernels

/// `out = x / √(mean(x²) + ε) · weight`, for each of `rows` vectors of length `weight.count` (in C,
/// vectorized).
///
/// The sum of squares is accumulated in Double, as llama.cpp does, so long rows lose nothing.
/// `out` may be `x` itself.
package func rmsNorm(
    _ x: UnsafePointer<Float>, weight: [Float], epsilon: Float, rows: Int,
    into out: UnsafeMutablePointer<Float>
) {
    poe_rms_norm(x, weight, Int32(weight.count), Int32(rows), epsilon, out)
}

/// `out = (x − mean(x)) / √(variance(x) + ε)`, for each of `rows` vectors of length `width`: OLMo's
/// LayerNorm, which has no weight or bias. Sums in Double, as llama.cpp's `ggml_norm` does. `out` may be `x`.
package func layerNorm(_ x: UnsafePointer<Float>, width: Int, epsilon: Float, rows: Int, into out: UnsafeMutablePointer<Float>) {
    for r in 0 ..< rows {
        let row = x + r * width, target = out + r * width
        var sum = 0.0
        for i in 0 ..< width { sum += Double(row[i]) }
        let mean = Float(sum / Double(width))
        var squares = 0.0
        for i in 0 ..< width {
            let centred = row[i] - mean
            target[i] = centred
            squares += Double(centred * centred)
        }
        let scale = 1 / (Float(squares / Double(width)) + epsilon).squareRoot()
        for i in 0 ..< width { target[i] *= scale }
    }
}
