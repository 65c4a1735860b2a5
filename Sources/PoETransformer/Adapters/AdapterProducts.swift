import PoE

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

    /// Adds the adapters of `slot` to a product just computed: for each group's rows and each adapter,
    /// Y += scale · (X Aᵀ) Bᵀ. X is (rows, inputs) and Y (rows, outputs), row-major; `hidden` holds
    /// rows · rank floats.
    func add(_ slot: AdapterSlot, input x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>, hidden: UnsafeMutablePointer<Float>) {
        for group in self {
            guard let adapters = group.table.pairs[slot] else { continue }
            let m = group.rows.count
            for (pair, scale) in adapters {
                let (r, inputs, outputs) = (pair.rank, pair.inputs, pair.outputs)
                pair.a.withUnsafeBufferPointer { a in
                    pair.b.withUnsafeBufferPointer { b in
                        // A (r, inputs) @ x (m, inputs) -> h (m, r)
                        gemm(m: m, n: r, k: inputs, x + group.rows.lowerBound * inputs, lda: inputs, a.baseAddress!, ldb: inputs, transposeB: true, hidden, ldc: r)
                        // B (outputs, r) @ h (m, r) -> y (m, outputs), scaled and added
                        gemm(
                            m: m, n: outputs, k: r, hidden, lda: r, b.baseAddress!, ldb: r, transposeB: true,
                            y + group.rows.lowerBound * outputs, ldc: outputs, alpha: scale, beta: 1)
                    }
                }
            }
        }
    }

    /// Adds embedding adapters to the embeddings of `tokens` (stacked rows of x, width d): for each, the
    /// token's row of A (a rank-vector) through B, times scale and the model's embedding scale.
    func addToEmbeddings(_ tokens: ArraySlice<TokenID>, x: UnsafeMutablePointer<Float>, width d: Int, embeddingScale: Float) {
        for group in self {
            guard let adapters = group.table.pairs[.embedding] else { continue }
            for (pair, scale) in adapters {
                pair.a.withUnsafeBufferPointer { a in
                    pair.b.withUnsafeBufferPointer { b in
                        for row in group.rows {
                            let token = Int(tokens[tokens.startIndex + row])
                            // B (d, r) @ A[token] (r,) -> x[row] (d,), scaled and added
                            gemm(
                                m: 1, n: d, k: pair.rank, a.baseAddress! + token * pair.rank, lda: pair.rank, b.baseAddress!, ldb: pair.rank,
                                transposeB: true, x + row * d, ldc: d, alpha: scale * embeddingScale, beta: 1)
                        }
                    }
                }
            }
        }
    }
}
