import Foundation
import PoEKernels

/// The head layout of one attention layer.
package struct AttentionShape {
    package let heads: Int
    package let kvHeads: Int
    package let headDimension: Int
    package let valueDimension: Int
    /// Multiplies q·k before the softmax.
    package let scale: Float
    /// `c · tanh(s / c)` on each scaled score s before the softmax (Gemma 2), when set.
    package let softcap: Float?

    package init(heads: Int, kvHeads: Int, headDimension: Int, valueDimension: Int, scale: Float, softcap: Float? = nil) {
        (self.heads, self.kvHeads, self.headDimension, self.valueDimension, self.scale) = (heads, kvHeads, headDimension, valueDimension, scale)
        self.softcap = softcap
    }
}

/// The scratch of one `attention` call: per thread, the scores, and (for a half-precision cache) room to
/// widen one key/value head's visible rows to floats.
package struct AttentionScratch {
    /// (max(tokens, heads), first + tokens) floats per thread.
    let scores: UnsafeMutablePointer<Float>
    /// (first + tokens, headDimension + valueDimension) floats per thread; used only for a cache of halves.
    let widened: UnsafeMutablePointer<Float>?

    package init(scores: UnsafeMutablePointer<Float>, widened: UnsafeMutablePointer<Float>? = nil) {
        (self.scores, self.widened) = (scores, widened)
    }
}

/// Causal attention of `tokens` new queries, at positions `first ..< first + tokens`, over the cached keys
/// and values of positions `0 ..< first + tokens` (the new ones already written).
///
/// A query at position p sees keys p − window + 1 ... p (all of 0 ... p without a window). Query head h
/// reads key/value head h / (heads / kvHeads) (grouped-query attention).
///
/// - Parameters:
///   - queries: (tokens, heads · headDimension)
///   - keys: (positions, kvHeads · headDimension), floats or halves
///   - values: (positions, kvHeads · valueDimension), floats or halves
///   - out: (tokens, heads · valueDimension)
package func attention(
    queries: UnsafePointer<Float>, keys: CachedRows, values: CachedRows,
    shape s: AttentionShape, first: Int, tokens: Int, window: Int?,
    scratch: AttentionScratch, into out: UnsafeMutablePointer<Float>
) {
    let end = first + tokens
    // The earliest key any of these queries can see; keys before it are skipped entirely.
    let keyStart = window.map { max(0, first - $0 + 1) } ?? 0
    let io = AttentionPointers(queries: queries, keys: keys, values: values, scores: scratch.scores, out: out)
    let widened = WidenedRows(pointer: scratch.widened)
    precondition(!keys.halves || scratch.widened != nil, "a cache of halves needs room to widen it")
    // Heads are independent: with enough work, split them across threads, each with its own scores.
    let work = tokens * (end - keyStart) * s.headDimension
    parallelChunks(s.heads, minimumChunk: work >= 1 << 18 ? 1 : s.heads) { chunk, heads in
        let scores = io.scores + chunk * max(tokens, s.heads) * end
        if tokens == 1 {
            attendOneQuery(heads: heads, io, shape: s, keys: keyStart ..< end, scores: scores)
        } else {
            let rows = widened.pointer.map { $0 + chunk * end * (s.headDimension + s.valueDimension) }
            for head in heads {
                // Query heads that share a key/value head reuse its widened rows.
                let sharesRows = head > heads.lowerBound && head / (s.heads / s.kvHeads) == (head - 1) / (s.heads / s.kvHeads)
                attendHead(
                    head, io, shape: s, first: first, tokens: tokens, window: window, keyStart: keyStart, scores: scores,
                    widened: rows, alreadyWidened: sharesRows)
            }
        }
    }
}

/// One sequence's single new query in a batched decode step: its query and output rows, its cache, and
/// the position of its new token (already in the cache).
struct DecodeQuery {
    let queries: UnsafePointer<Float>
    let keys: CachedRows
    let values: CachedRows
    let position: Int
    let out: UnsafeMutablePointer<Float>
}

/// `attention` for several sequences with one new query each (a batched decode step). The sequences,
/// rather than the heads, are split across threads: each is too little work to split on its own.
///
/// - Parameter scores: scratch for (heads, longest context) floats per thread
func attention(decoding steps: [DecodeQuery], shape s: AttentionShape, window: Int?, scores: UnsafeMutablePointer<Float>) {
    let scratchStride = s.heads * ((steps.map(\.position).max() ?? 0) + 1)
    let ios = steps.map { AttentionPointers(queries: $0.queries, keys: $0.keys, values: $0.values, scores: scores, out: $0.out) }
    let positions = steps.map(\.position)
    parallelChunks(steps.count, minimumChunk: 1) { chunk, range in
        for i in range {
            let keyStart = window.map { max(0, positions[i] - $0 + 1) } ?? 0
            attendOneQuery(heads: 0 ..< s.heads, ios[i], shape: s, keys: keyStart ..< positions[i] + 1, scores: ios[i].scores + chunk * scratchStride)
        }
    }
}

/// Query heads `heads` of one query over the cached positions `keys`: per key/value head, its query heads
/// together (`poe_attend`: a dot product per key, a softmax, a weighted sum, each cached row read once for
/// the group), where two matrix products of one row would be mostly call overhead. `scores` holds
/// (heads, keys) floats.
private func attendOneQuery(heads: Range<Int>, _ io: AttentionPointers, shape s: AttentionShape, keys: Range<Int>, scores: UnsafeMutablePointer<Float>) {
    let group = s.heads / s.kvHeads
    var head = heads.lowerBound
    while head < heads.upperBound {
        let kv = head / group, last = min(heads.upperBound, (kv + 1) * group)
        let k = io.keys.address(position: keys.lowerBound, column: kv * s.headDimension)
        let v = io.values.address(position: keys.lowerBound, column: kv * s.valueDimension)
        let (q, out) = (io.queries + head * s.headDimension, io.out + head * s.valueDimension)
        if io.keys.halves {
            poe_attend_f16(
                q, Int32(last - head), Int32(s.headDimension), k.assumingMemoryBound(to: UInt16.self), io.keys.stride,
                v.assumingMemoryBound(to: UInt16.self), io.values.stride, Int32(s.valueDimension),
                Int32(keys.count), s.scale, s.softcap ?? 0, scores, out)
        } else {
            poe_attend(
                q, Int32(last - head), Int32(s.headDimension), k.assumingMemoryBound(to: Float.self), io.keys.stride,
                v.assumingMemoryBound(to: Float.self), io.values.stride, Int32(s.valueDimension),
                Int32(keys.count), s.scale, s.softcap ?? 0, scores, out)
        }
        head = last
    }
}

/// One query head's attention; see `attention`.
///
/// Queries go in blocks of `queryBlock`, each over only the keys that block can see: for a causal
/// prompt, a little over half the work of one product of every query with every key.
private func attendHead(
    _ h: Int, _ io: AttentionPointers, shape s: AttentionShape, first: Int, tokens: Int, window: Int?, keyStart: Int,
    scores: UnsafeMutablePointer<Float>, widened: UnsafeMutablePointer<Float>?, alreadyWidened: Bool
) {
    let queryBlock = 128
    let queryStride = s.heads * s.headDimension, outStride = s.heads * s.valueDimension
    let kv = h / (s.heads / s.kvHeads)
    // The head's keys and values as floats the matrix products read in place: the cache's own rows, or
    // for a cache of halves its key/value head's visible rows widened into `widened` (by the first query
    // head of the group this thread takes).
    let (keys, keyStride, values, valueStride): (UnsafePointer<Float>, Int, UnsafePointer<Float>, Int)
    if io.keys.halves, let widened {
        let end = first + tokens, hd = s.headDimension, vd = s.valueDimension
        let wideKeys = widened, wideValues = widened + end * hd
        for p in keyStart ..< end where !alreadyWidened {
            _ = poe_dequantize(Int32(GGMLType.f16.rawValue), io.keys.address(position: p, column: kv * hd), hd, wideKeys + p * hd)
            _ = poe_dequantize(Int32(GGMLType.f16.rawValue), io.values.address(position: p, column: kv * vd), vd, wideValues + p * vd)
        }
        (keys, keyStride, values, valueStride) = (UnsafePointer(wideKeys), hd, UnsafePointer(wideValues), vd)
    } else {
        keys = io.keys.address(position: 0, column: kv * s.headDimension).assumingMemoryBound(to: Float.self)
        values = io.values.address(position: 0, column: kv * s.valueDimension).assumingMemoryBound(to: Float.self)
        (keyStride, valueStride) = (io.keys.stride, io.values.stride)
    }
    for t0 in stride(from: 0, to: tokens, by: queryBlock) {
        let t1 = min(t0 + queryBlock, tokens)
        // The block's keys: from the earliest its first query sees to its last query's own position.
        let blockStart = window.map { max(keyStart, first + t0 - $0 + 1) } ?? keyStart
        let keyCount = first + t1 - blockStart
        // scale · Q_h (t1 − t0, hd) @ K_kvᵀ (hd, keyCount) -> scores (t1 − t0, keyCount)
        gemm(
            m: t1 - t0, n: keyCount, k: s.headDimension,
            io.queries + t0 * queryStride + h * s.headDimension, lda: queryStride,
            keys + blockStart * keyStride, ldb: keyStride, transposeB: true,
            scores, ldc: keyCount, alpha: s.scale)

        for t in t0 ..< t1 {
            let position = first + t
            let lowest = window.map { max(blockStart, position - $0 + 1) } ?? blockStart
            if let cap = s.softcap {
                softcap(scores + (t - t0) * keyCount + (lowest - blockStart), count: position + 1 - lowest, cap: cap)
            }
            softmaxMasked(scores + (t - t0) * keyCount, visible: (lowest - blockStart) ..< (position + 1 - blockStart), count: keyCount)
        }

        // P (t1 − t0, keyCount) @ V_kv (keyCount, vd) -> out_h (t1 − t0, vd)
        gemm(
            m: t1 - t0, n: s.valueDimension, k: keyCount,
            scores, lda: keyCount,
            values + blockStart * valueStride, ldb: valueStride, transposeB: false,
            io.out + t0 * outStride + h * s.valueDimension, ldc: outStride)
    }
}

/// The buffers of one `attention` call, lent to its threads.
///
/// `@unchecked Sendable` is safe: `attention` returns only after every thread has finished; queries, keys
/// and values are only read; each thread writes its own heads' (or sequences') part of `out` and its own
/// part of `scores`.
private struct AttentionPointers: @unchecked Sendable {
    let queries: UnsafePointer<Float>
    let keys: CachedRows
    let values: CachedRows
    let scores: UnsafeMutablePointer<Float>
    let out: UnsafeMutablePointer<Float>
}

/// Softmax over `row[visible]`; every other entry of the `count` becomes 0.
private func softmaxMasked(_ row: UnsafeMutablePointer<Float>, visible: Range<Int>, count: Int) {
    poe_softmax(row, Int32(visible.lowerBound), Int32(visible.upperBound), Int32(count))
}

/// The widening scratch of one `attention` call, lent to its threads.
///
/// `@unchecked Sendable` is safe: each thread writes and reads only its own part (by chunk number), and
/// `attention` returns only after every thread has finished.
private struct WidenedRows: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>?
}
