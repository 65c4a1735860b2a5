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
