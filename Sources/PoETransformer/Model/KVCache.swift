import PoE

/// The keys and values of every layer for the positions a session holds.
///
/// Layer l stores keys as (rows, kvHeads · headDimension) and values as (rows, kvHeads · valueDimension),
/// row-major, so one position's heads are contiguous and each head is a strided column block that a
/// matrix product can read in place.
///
/// A sliding-window layer keeps only what a query can still see: its window, plus the rows of the pass in
/// progress. When its rows run out it drops the positions before the newest query's window, moving the
/// rest to the front (every few hundred tokens; llama.cpp's SWA cache keeps as much). Gemma 3 270M at
/// 4,096 tokens holds 15 of its 18 layers at 1,024 rows instead of 4,096.
final class KVCache {
    let keyWidth: Int
    let valueWidth: Int
    /// Each layer's window; nil for a layer that keeps every position.
    let windows: [Int?]
    private var keyRows: [FloatBuffer]
    private var valueRows: [FloatBuffer]
    /// The position of each layer's first stored row (above 0 only for a window layer that has dropped some).
    private(set) var firstStored: [Int]

    init(keyWidth: Int, valueWidth: Int, windows: [Int?], initialPositions: Int) {
        self.keyWidth = keyWidth
        self.valueWidth = valueWidth
        self.windows = windows
        keyRows = windows.map { _ in FloatBuffer(count: initialPositions * keyWidth) }
        valueRows = windows.map { _ in FloatBuffer(count: initialPositions * valueWidth) }
        firstStored = windows.map { _ in 0 }
    }

    private init(copying other: KVCache, positions: Int) {
        keyWidth = other.keyWidth
        valueWidth = other.valueWidth
        windows = other.windows
        firstStored = other.firstStored
        keyRows = zip(other.keyRows, other.firstStored).map { $0.copy(count: max(0, positions - $1) * other.keyWidth) }
        valueRows = zip(other.valueRows, other.firstStored).map { $0.copy(count: max(0, positions - $1) * other.valueWidth) }
    }

    /// Layer l's keys, addressed by position: row p of the result is position p. Only positions from
    /// `firstStored[l]` on are stored, and only those may be read or written (the pointer itself may lie
    /// before the buffer; it is never read there).
    func keys(_ l: Int) -> UnsafeMutablePointer<Float> { keyRows[l].pointer - firstStored[l] * keyWidth }

    /// Layer l's values, addressed by position as `keys(_:)` are.
    func values(_ l: Int) -> UnsafeMutablePointer<Float> { valueRows[l].pointer - firstStored[l] * valueWidth }

    /// Makes room to write positions `filled ..< positions` after the first `filled`; throws, changing
    /// nothing, when the machine does not have the memory. A window layer first drops the positions no new
    /// query can see when its rows would otherwise have to grow.
    func reserve(positions: Int, filled: Int) throws(MemoryError) {
        var growth = 0
        for l in windows.indices {
            let rows = positions - firstStored(l, afterReserving: positions, filled: filled)
            growth += keyRows[l].growth(for: rows * keyWidth) + valueRows[l].growth(for: rows * valueWidth)
        }
        if growth > 0 { try SystemMemory.require(growth * MemoryLayout<Float>.stride, for: "a KV cache of \(positions) positions") }
        for l in windows.indices {
            let keep = firstStored(l, afterReserving: positions, filled: filled)
            if keep > firstStored[l] {
                let dropped = keep - firstStored[l], kept = max(0, filled - keep)
                keyRows[l].pointer.update(from: keyRows[l].pointer + dropped * keyWidth, count: kept * keyWidth)
                valueRows[l].pointer.update(from: valueRows[l].pointer + dropped * valueWidth, count: kept * valueWidth)
                firstStored[l] = keep
            }
            let kept = max(0, filled - keep)
            keyRows[l].reserve((positions - keep) * keyWidth, keeping: kept * keyWidth)
            valueRows[l].reserve((positions - keep) * valueWidth, keeping: kept * valueWidth)
        }
    }

    /// Layer l's first stored position once `reserve(positions:filled:)` has run: a window layer whose rows
    /// would have to grow keeps only from the window of the query at `filled` on.
    private func firstStored(_ l: Int, afterReserving positions: Int, filled: Int) -> Int {
        guard let window = windows[l], (positions - firstStored[l]) * keyWidth > keyRows[l].count else { return firstStored[l] }
        return max(firstStored[l], filled - window + 1)
    }

    /// Forgets positions from `count` on. Throws when a window layer has already dropped positions that a
    /// query at `count` would see: they cannot be had back.
    func truncate(to count: Int) throws(LanguageModelError) {
        for (l, window) in windows.enumerated() {
            guard let window, firstStored[l] > 0 else { continue }
            if count == 0 {
                firstStored[l] = 0
            } else if count - window + 1 < firstStored[l] {
                throw .truncationBeforeWindow(to: count, earliest: firstStored[l] + window - 1)
            }
        }
    }

    /// An independent cache holding the same first `positions` positions.
    func copy(positions: Int) -> KVCache {
        KVCache(copying: self, positions: positions)
    }
}
