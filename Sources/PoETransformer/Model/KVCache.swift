/// The keys and values of every layer for the positions a session holds.
///
/// Layer l stores keys as (positions, kvHeads · headDimension) and values as (positions, kvHeads ·
/// valueDimension), row-major, so one position's heads are contiguous and each head is a strided
/// column block that a matrix product can read in place.
final class KVCache {
    let keyWidth: Int
    let valueWidth: Int
    private(set) var keys: [FloatBuffer]
    private(set) var values: [FloatBuffer]

    init(layers: Int, keyWidth: Int, valueWidth: Int, initialPositions: Int) {
        self.keyWidth = keyWidth
        self.valueWidth = valueWidth
        keys = (0 ..< layers).map { _ in FloatBuffer(count: initialPositions * keyWidth) }
        values = (0 ..< layers).map { _ in FloatBuffer(count: initialPositions * valueWidth) }
    }

    private init(keyWidth: Int, valueWidth: Int, keys: [FloatBuffer], values: [FloatBuffer]) {
        self.keyWidth = keyWidth
        self.valueWidth = valueWidth
        self.keys = keys
        self.values = values
    }

    /// Makes room for `positions` positions, keeping the first `filled`; throws, allocating nothing, when
    /// the machine does not have the memory.
    func reserve(positions: Int, filled: Int) throws(MemoryError) {
        let growth = keys.reduce(0) { $0 + $1.growth(for: positions * keyWidth) } + values.reduce(0) { $0 + $1.growth(for: positions * valueWidth) }
        if growth > 0 { try SystemMemory.require(growth * MemoryLayout<Float>.stride, for: "a KV cache of \(positions) positions") }
        for buffer in keys { buffer.reserve(positions * keyWidth, keeping: filled * keyWidth) }
        for buffer in values { buffer.reserve(positions * valueWidth, keeping: filled * valueWidth) }
    }

    /// An independent cache holding the same first `positions` positions.
    func copy(positions: Int) -> KVCache {
        KVCache(
            keyWidth: keyWidth, valueWidth: valueWidth,
            keys: keys.map { $0.copy(count: positions * keyWidth) },
            values: values.map { $0.copy(count: positions * valueWidth) })
    }
}
