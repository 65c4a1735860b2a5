import Foundation

/// The head layout of one attention layer.
struct AttentionShape {
    let heads: Int
    let kvHeads: Int
    let headDimension: Int
    let valueDimension: Int
    /// Multiplies q·k before the softmax.
    let scale: Float
}

/// Causal attention of `tokens` new queries, at positions `first ..< first + tokens`, over the cached keys
/// and values of positions `0 ..< first + tokens` (the new ones already written).
///
/// A query at position p sees keys p − window + 1 ... p (all of 0 ... p without a window). Query head h
/// reads key/value head h / (heads / kvHeads) (grouped-query attention).
///
/// - Parameters:
///   - queries: (tokens, heads · headDimension)
///   - keys: (positions, kvHeads · headDimension)
///   - values: (positions, kvHeads · valueDimension)
///   - scores: scratch for (tokens, first + tokens) floats
///   - out: (tokens, heads · valueDimension)
func attention(
    queries: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
    shape s: AttentionShape, first: Int, tokens: Int, window: Int?,
    scores: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
) {
    let end = first + tokens
    // The earliest key any of these queries can see; keys before it are skipped entirely.
    let keyStart = window.map { max(0, first - $0 + 1) } ?? 0
    let keyCount = end - keyStart
    let queryStride = s.heads * s.headDimension
    let keyStride = s.kvHeads * s.headDimension
    let valueStride = s.kvHeads * s.valueDimension
    let group = s.heads / s.kvHeads

    for h in 0 ..< s.heads {
        let kv = h / group
        // scale · Q_h (tokens, hd) @ K_kvᵀ (hd, keyCount) -> scores (tokens, keyCount)
        gemm(
            m: tokens, n: keyCount, k: s.headDimension,
            queries + h * s.headDimension, lda: queryStride,
            keys + keyStart * keyStride + kv * s.headDimension, ldb: keyStride, transposeB: true,
            scores, ldc: keyCount, alpha: s.scale)

        for t in 0 ..< tokens {
            let position = first + t
            let lowest = window.map { max(keyStart, position - $0 + 1) } ?? keyStart
            softmaxMasked(scores + t * keyCount, visible: (lowest - keyStart) ..< (position + 1 - keyStart), count: keyCount)
        }

        // P (tokens, keyCount) @ V_kv (keyCount, vd) -> out_h (tokens, vd)
        gemm(
            m: tokens, n: s.valueDimension, k: keyCount,
            scores, lda: keyCount,
            values + keyStart * valueStride + kv * s.valueDimension, ldb: valueStride, transposeB: false,
            out + h * s.valueDimension, ldc: s.heads * s.valueDimension)
    }
}

/// Softmax over `row[visible]`; every other entry of the `count` becomes 0.
private func softmaxMasked(_ row: UnsafeMutablePointer<Float>, visible: Range<Int>, count: Int) {
    var maximum = -Float.infinity
    for j in visible where row[j] > maximum { maximum = row[j] }
    var sum: Float = 0
    for j in visible {
        let e = exp(row[j] - maximum)
        row[j] = e
        sum += e
    }
    let inverse = 1 / sum
    for j in 0 ..< count {
        row[j] = visible.contains(j) ? row[j] * inverse : 0
    }
}
