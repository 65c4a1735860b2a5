import Foundation

/// `out = x / √(mean(x²) + ε) · weight`, for each of `rows` vectors of length `weight.count`.
///
/// The sum of squares is accumulated in Double, as llama.cpp does, so long rows lose nothing.
/// `out` may be `x` itself.
func rmsNorm(
    _ x: UnsafePointer<Float>, weight: [Float], epsilon: Float, rows: Int,
    into out: UnsafeMutablePointer<Float>
) {
    let n = weight.count
    weight.withUnsafeBufferPointer { w in
        for r in 0 ..< rows {
            let row = x + r * n
            var sum: Double = 0
            for i in 0 ..< n { sum += Double(row[i] * row[i]) }
            let scale = 1 / (Float(sum / Double(n)) + epsilon).squareRoot()
            let o = out + r * n
            for i in 0 ..< n { o[i] = row[i] * scale * w[i] }
        }
    }
}
