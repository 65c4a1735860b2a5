/// Raw logits, one row per requested position, one column per vocabulary entry.
public struct LogitMatrix: Sendable, Equatable {
    /// Positions: one row of logits each.
    public let rows: Int
    /// Vocabulary entries: one logit each.
    public let columns: Int
    /// Row-major values, `rows * columns` of them.
    public var values: [Float]

    /// A matrix of `rows × columns` values, row-major (`values.count` must be `rows * columns`).
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns, "values must fill the matrix")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// No rows.
    public static func empty(columns: Int) -> LogitMatrix {
        LogitMatrix(rows: 0, columns: columns, values: [])
    }

    /// One row: the logits for one position.
    public subscript(row: Int) -> ArraySlice<Float> {
        values[row * columns ..< (row + 1) * columns]
    }

    /// `log Σ exp(row)`, the normaliser that turns a row into log-probabilities.
    public func logSumExp(row: Int) -> Float {
        values.withUnsafeBufferPointer { buffer in
            PoE.logSumExp(UnsafeBufferPointer(rebasing: buffer[row * columns ..< (row + 1) * columns]))
        }
    }

    /// The row as log-probabilities (log-softmax).
    public func logProbabilities(row: Int) -> [Float] {
        let lse = logSumExp(row: row)
        return self[row].map { $0 - lse }
    }

    /// The `k` largest entries of a row, largest first; ties go to the lower id.
    public func top(_ k: Int, row: Int) -> [(id: TokenID, logit: Float)] {
        values.withUnsafeBufferPointer { buffer in
            PoE.top(k, of: UnsafeBufferPointer(rebasing: buffer[row * columns ..< (row + 1) * columns]))
        }
    }

    /// The id of the largest entry of a row (the lowest id among equals).
    public func argmax(row: Int) -> TokenID {
        top(1, row: row)[0].id
    }
}
