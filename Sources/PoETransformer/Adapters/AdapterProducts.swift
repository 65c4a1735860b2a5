import PoE
import PoEKernels

/// One adapter's term in a weight product, for some stacked rows: Y[rows] += scale · (X[rows] · down) · up.
///
/// `@unchecked Sendable` is safe: `hidden` points into the pass's activation buffers, written before the
/// product starts (`prepared`) or by the calling thread after its parallel part, and read by the product's
/// threads only while `apply` runs.
struct AdapterTerm: @unchecked Sendable {
    let rows: Range<Int>
    let pair: LoRAPair
    let scale: Float
    /// (rows.count, rank) floats: h = X[rows] · down once `prepared`.
    let hidden: UnsafeMutablePointer<Float>
    /// h is computed (few rows); otherwise `apply` computes the term with OpenBLAS.
    let prepared: Bool

    /// Adds scale · h · up to outputs [begin, end) of these rows of Y (y, row width `outputs`).
    func addUp(outputs range: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        pair.up.withUnsafeRawPointer { up in
            poe_lora_up(
                Int32(rows.count), Int32(pair.rank), Int32(range.lowerBound), Int32(range.upperBound), Int32(pair.outputs), up, pair.up.kernelType,
                scale, hidden, y + rows.lowerBound * pair.outputs, pair.outputs)
        }
    }

    /// The whole term with OpenBLAS, for many rows: h = X[rows] · down, then Y[rows] += scale · h · up.
    func addWithBLAS(input x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let (m, r, inputs, outputs) = (rows.count, pair.rank, pair.inputs, pair.outputs)
        // Float32 copies of the two matrices (halves widened; a few thousand values per product).
        let down = pair.down.floats, up = pair.up.floats
        // x (m, inputs) @ down (inputs, r) -> h (m, r)
        gemm(m: m, n: r, k: inputs, x + rows.lowerBound * inputs, lda: inputs, down, ldb: r, transposeB: false, hidden, ldc: r)
        // h (m, r) @ up (r, outputs) -> y (m, outputs), scaled and added
        gemm(m: m, n: outputs, k: r, hidden, lda: r, up, ldb: outputs, transposeB: false, y + rows.lowerBound * outputs, ldc: outputs, alpha: scale, beta: 1)
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
    /// group of rows and adapter, for `WeightMatrix.apply` to add. For a few rows (decoding) each term's
    /// h = x · down is computed here, into `hidden`; `apply` then adds scale · h · up to the outputs each of
    /// its threads computed. For many rows (a prompt) `apply` computes both with OpenBLAS.
    func terms(_ slot: AdapterSlot, input x: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>) -> [AdapterTerm] {
        var terms: [AdapterTerm] = []
        var next = hidden
        for group in self {
            guard let adapters = group.table.pairs[slot] else { continue }
            let m = group.rows.count
            for (pair, scale) in adapters {
                let prepared = m <= WeightMatrix.fusedLimit
                if prepared {
                    pair.down.withUnsafeRawPointer { down in
                        poe_lora_down(Int32(m), Int32(pair.inputs), Int32(pair.rank), x + group.rows.lowerBound * pair.inputs, pair.inputs, down, pair.down.kernelType, next)
                    }
                }
                terms.append(AdapterTerm(rows: group.rows, pair: pair, scale: scale, hidden: next, prepared: prepared))
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
                guard case let .float32(down) = pair.down, case let .float32(up) = pair.up else { continue }  // kept as float32
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
