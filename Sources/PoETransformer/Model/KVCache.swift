import PoE
import PoEKernels

/// The keys and values of every layer for the positions a session holds, as float32 or (`f16`) halves.
///
/// Layer l stores keys as (rows, kvHeads · headDimension) and values as (rows, kvHeads · valueDimension),
/// row-major, so one position's heads are contiguous and each head is a strided column block that a
/// matrix product can read in place. (A row of halves of odd width takes one element more, so that rows
/// stay whole floats of the buffers.)
///
/// A sliding-window layer keeps only what a query can still see: its window, plus the rows of the pass in
/// progress. When its rows run out it drops the positions before the newest query's window, moving the
/// rest to the front (every few hundred tokens; llama.cpp's SWA cache keeps as much). Gemma 3 270M at
/// 4,096 tokens holds 15 of its 18 layers at 1,024 rows instead of 4,096.
final class KVCache {
    let keyWidth: Int
    let valueWidth: Int
    let precision: KVCachePrecision
    /// Floats of the buffers per stored row (keyWidth or valueWidth elements, rounded up).
    private let keyRow: Int
    private let valueRow: Int
    /// Each layer's window; nil for a layer that keeps every position.
    let windows: [Int?]
    private var keyRows: [FloatBuffer]
    private var valueRows: [FloatBuffer]
    /// The position of each layer's first stored row (above 0 only for a window layer that has dropped some).
    private(set) var firstStored: [Int]

    init(keyWidth: Int, valueWidth: Int, windows: [Int?], initialPositions: Int, precision: KVCachePrecision = .f32) {
        self.keyWidth = keyWidth
        self.valueWidth = valueWidth
        self.precision = precision
        keyRow = (keyWidth * precision.elementBytes + 3) / 4
        valueRow = (valueWidth * precision.elementBytes + 3) / 4
        self.windows = windows
        keyRows = windows.map { [keyRow] _ in FloatBuffer(count: initialPositions * keyRow) }
        valueRows = windows.map { [valueRow] _ in FloatBuffer(count: initialPositions * valueRow) }
        firstStored = windows.map { _ in 0 }
    }

    private init(copying other: KVCache, positions: Int) {
        keyWidth = other.keyWidth
        valueWidth = other.valueWidth
        precision = other.precision
        keyRow = other.keyRow
        valueRow = other.valueRow
        windows = other.windows
        firstStored = other.firstStored
        keyRows = zip(other.keyRows, other.firstStored).map { $0.copy(count: max(0, positions - $1) * other.keyRow) }
        valueRows = zip(other.valueRows, other.firstStored).map { $0.copy(count: max(0, positions - $1) * other.valueRow) }
    }

    /// Layer l's keys, addressed by position: row p of the result is position p. Only positions from
    /// `firstStored[l]` on are stored, and only those may be read or written (the pointer itself may lie
    /// before the buffer; it is never read there).
    func keys(_ l: Int) -> CachedRows {
        CachedRows(base: UnsafeRawPointer(keyRows[l].pointer - firstStored[l] * keyRow), stride: keyRow * 4 / precision.elementBytes, halves: precision == .f16)
    }

    /// Layer l's values, addressed by position as `keys(_:)` are.
    func values(_ l: Int) -> CachedRows {
        CachedRows(base: UnsafeRawPointer(valueRows[l].pointer - firstStored[l] * valueRow), stride: valueRow * 4 / precision.elementBytes, halves: precision == .f16)
    }

    /// Writes `count` new positions from `position` on in layer l: their keys (count, keyWidth) and values
    /// (count, valueWidth), rounded to halves for an `f16` cache.
    func store(layer l: Int, position: Int, count: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        func write(_ rows: CachedRows, width: Int, from source: UnsafePointer<Float>) {
            for row in 0 ..< count {
                let at = UnsafeMutableRawPointer(mutating: rows.address(position: position + row, column: 0))
                if rows.halves {
                    poe_f16_from_f32(source + row * width, width, at.assumingMemoryBound(to: UInt16.self))
                } else {
                    at.assumingMemoryBound(to: Float.self).update(from: source + row * width, count: width)
                }
            }
        }
        write(self.keys(l), width: keyWidth, from: keys)
        write(self.values(l), width: valueWidth, from: values)
    }

    /// Makes room to write positions `filled ..< positions` after the first `filled`; throws, changing
    /// nothing, when the machine does not have the memory. A window layer first drops the positions no new
    /// query can see when its rows would otherwise have to grow.
    func reserve(positions: Int, filled: Int) throws(MemoryError) {
        var growth = 0
        for l in windows.indices {
            let rows = positions - firstStored(l, afterReserving: positions, filled: filled)
            growth += keyRows[l].growth(for: rows * keyRow) + valueRows[l].growth(for: rows * valueRow)
        }
        if growth > 0 { try SystemMemory.require(growth * MemoryLayout<Float>.stride, for: "a KV cache of \(positions) positions") }
        for l in windows.indices {
            let keep = firstStored(l, afterReserving: positions, filled: filled)
            if keep > firstStored[l] {
                let dropped = keep - firstStored[l], kept = max(0, filled - keep)
                keyRows[l].pointer.update(from: keyRows[l].pointer + dropped * keyRow, count: kept * keyRow)
                valueRows[l].pointer.update(from: valueRows[l].pointer + dropped * valueRow, count: kept * valueRow)
                firstStored[l] = keep
            }
            let kept = max(0, filled - keep)
            keyRows[l].reserve((positions - keep) * keyRow, keeping: kept * keyRow)
            valueRows[l].reserve((positions - keep) * valueRow, keeping: kept * valueRow)
        }
    }

    /// Layer l's first stored position once `reserve(positions:filled:)` has run: a window layer whose rows
    /// would have to grow keeps only from the window of the query at `filled` on.
    private func firstStored(_ l: Int, afterReserving positions: Int, filled: Int) -> Int {
        guard let window = windows[l], (positions - firstStored[l]) * keyRow > keyRows[l].count else { return firstStored[l] }
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

/// One layer's cached keys or values, addressed by position: row p at `base` + p · stride elements, each a
/// float or (`halves`) an IEEE half.
///
/// `@unchecked Sendable` is safe: the rows are read by the threads of one attention call while nothing
/// writes them (new rows are stored before attention starts).
package struct CachedRows: @unchecked Sendable {
    let base: UnsafeRawPointer
    /// Elements from one position's row to the next.
    let stride: Int
    let halves: Bool

    init(base: UnsafeRawPointer, stride: Int, halves: Bool) {
        (self.base, self.stride, self.halves) = (base, stride, halves)
    }

    /// Float rows of `stride` floats from `floats` on (position 0 first).
    package init(floats: UnsafePointer<Float>, stride: Int) {
        self.init(base: UnsafeRawPointer(floats), stride: stride, halves: false)
    }

    /// Element `column` of position `position`.
    func address(position: Int, column: Int) -> UnsafeRawPointer {
        base + (position * stride + column) * (halves ? 2 : 4)
    }
}
