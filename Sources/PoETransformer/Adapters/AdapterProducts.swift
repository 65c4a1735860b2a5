import PoE
import PoEKernels

/// One adapter's term in a weight product, for some stacked rows: Y[rows] += scale · h · up, where
/// h = X[rows] · down is computed before the product (`AdaptedRows.terms`).
///
/// `@unchecked Sendable` is safe: `hidden` points into the pass's activation buffers, written before the
/// product starts and only read by the product's threads while `apply` runs, each of which adds the term
/// to its own outputs.
package struct AdapterTerm: @unchecked Sendable {
    let rows: Range<Int>
    let pair: LoRAPair
    let scale: Float
    /// h, (rows.count, rank) floats.
    let hidden: UnsafeMutablePointer<Float>

    /// Adds scale · h · up to outputs `range` of these rows of Y (row width `pair.outputs`): the kernel for
    /// a few rows, OpenBLAS for many.
    func add(outputs range: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        let (m, r, outputs) = (rows.count, pair.rank, pair.outputs)
        if m <= WeightMatrix.fusedLimit {
            pair.up.withKernelValues { up, type in
                poe_lora_up(Int32(m), Int32(r), Int32(range.lowerBound), Int32(range.upperBound), Int32(outputs), up, type, scale, hidden, y + rows.lowerBound * outputs, outputs)
            }
            return
        }
        pair.up.floats.withUnsafeBufferPointer { up in
            // h (m, r) @ up[:, range] (r, count) -> y[rows, range], scaled and added
            gemm(
                m: m, n: range.count, k: r, hidden, lda: r, up.baseAddress! + range.lowerBound, ldb: outputs, transposeB: false,
                y + rows.lowerBound * outputs + range.lowerBound, ldc: outputs, alpha: scale, beta: 1)
        }
    }
}

/// Stacked rows of one forward pass that share one view's adapters.
struct AdaptedRows {
    let rows: Range<Int>
    let table: AdapterTable
}

extension [SequenceSlice] {
    /// The slices' rows by adapter table, neighbours with the same table merged (a batch of sessions of
    /// one adapted model adds each adapter with one product); empty when no slice has adapters, so the
    /// base model pays nothing.
    var adaptedRows: [AdaptedRows] {
        var groups: [AdaptedRows] = []
        for slice in self where !slice.adapters.isEmpty {
            if let last = groups.last, last.table === slice.adapters, last.rows.upperBound == slice.rows.lowerBound {
                groups[groups.count - 1] = AdaptedRows(rows: last.rows.lowerBound ..< slice.rows.upperBound, table: last.table)
            } else {
                groups.append(AdaptedRows(rows: slice.rows, table: slice.adapters))
            }
        }
        return groups
    }
}

extension [AdaptedRows] {
    /// The groups after a pass keeps only the stacked rows `kept`, moved to the front.
    func keeping(_ kept: Range<Int>) -> [AdaptedRows] {
        compactMap { group in
            let rows = group.rows.clamped(to: kept)
            return rows.isEmpty ? nil : AdaptedRows(rows: rows.lowerBound - kept.lowerBound ..< rows.upperBound - kept.lowerBound, table: group.table)
        }
    }

    /// The adapter terms of `slot` for a product of `x` (rows, inputs) into Y (rows, outputs), one per
    /// group of rows and adapter, each with h = X[rows] · down computed into `hidden` (the kernel for a few
    /// rows, OpenBLAS for many), for `WeightMatrix.apply` to add to the outputs each of its threads computes.
    func terms(_ slot: AdapterSlot, input x: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>) -> [AdapterTerm] {
        var terms: [AdapterTerm] = []
        var next = hidden
        for group in self {
            guard let adapters = group.table.pairs[slot] else { continue }
            let m = group.rows.count
            for (pair, scale) in adapters {
                let xs = x + group.rows.lowerBound * pair.inputs
                if m <= WeightMatrix.fusedLimit {
                    pair.down.withKernelValues { down, type in
                        poe_lora_down(Int32(m), Int32(pair.inputs), Int32(pair.rank), xs, pair.inputs, down, type, next)
                    }
                } else {
                    pair.down.floats.withUnsafeBufferPointer { down in
                        // x (m, inputs) @ down (inputs, r) -> h (m, r)
                        gemm(m: m, n: pair.rank, k: pair.inputs, xs, lda: pair.inputs, down.baseAddress!, ldb: pair.rank, transposeB: false, next, ldc: pair.rank)
                    }
                }
                terms.append(AdapterTerm(rows: group.rows, pair: pair, scale: scale, hidden: next))
                next += m * pair.rank
            }
        }
        return terms
    }

    /// Adds embedding adapters to the embeddings of `tokens` (stacked rows of x, width d): for each, the
    /// token's row of A (a rank-vector) through B, times scale and the model's embedding scale.
    func addToEmbeddings(_ tokens: ArraySlice<TokenID>, x: UnsafeMutablePointer<Float>, width d: Int, embeddingScale: Float) {
        for group in self {
            guard let adapters = group.table.pairs[.embedding] else { continue }
            for (pair, scale) in adapters {
                let (down, up) = (pair.down.floats, pair.up.floats)
                for row in group.rows {
                    let token = Int(tokens[tokens.startIndex + row])
                    // A[token] (r,) @ up (r, d) -> x[row] (d,), scaled and added
                    for k in 0 ..< pair.rank {
                        let s = scale * embeddingScale * down[token * pair.rank + k]
                        for j in 0 ..< d { x[row * d + j] += s * up[k * d + j] }
                    }
                }
            }
        }
    }
}
