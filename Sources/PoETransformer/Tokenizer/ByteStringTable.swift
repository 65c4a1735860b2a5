/// A hash table from byte strings to `Int32` values, looked up with a byte range so that the tokenizers'
/// inner loops never build a `String` or an `Array` to ask "is this a token?".
struct ByteStringTable: Sendable {
    /// Every key's bytes, end to end.
    private let storage: [UInt8]
    /// Entry i's key is `storage[starts[i] ..< starts[i + 1]]`.
    private let starts: [Int32]
    private let values: [Int32]
    /// Open addressing: an entry index, or -1 for an empty slot. The count is a power of two.
    private let slots: [Int32]

    /// Entries in order; a repeated key keeps its first value and is reported through `duplicate`.
    init<Keys: Sequence>(_ entries: Keys, duplicate: (Int, Int) throws -> Void) rethrows
    where Keys.Element == (key: [UInt8], value: Int32) {
        var storage: [UInt8] = []
        var starts: [Int32] = [0]
        var values: [Int32] = []
        for (key, value) in entries {
            storage += key
            starts.append(Int32(storage.count))
            values.append(value)
        }
        var capacity = 16
        while capacity < values.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        try storage.withUnsafeBufferPointer { bytes in
            for entry in 0 ..< values.count {
                let key = UnsafeBufferPointer(rebasing: bytes[Int(starts[entry]) ..< Int(starts[entry + 1])])
                var slot = Self.hash(key) & mask
                while slots[slot] >= 0 {
                    let other = Int(slots[slot])
                    if key.elementsEqual(bytes[Int(starts[other]) ..< Int(starts[other + 1])]) {
                        try duplicate(other, entry)
                        break
                    }
                    slot = (slot + 1) & mask
                }
                if slots[slot] < 0 { slots[slot] = Int32(entry) }
            }
        }
        self.storage = storage
        self.starts = starts
        self.values = values
        self.slots = slots
    }

    var count: Int { values.count }

    /// The value stored for exactly these bytes.
    func value(for key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let mask = slots.count - 1
        var slot = Self.hash(key) & mask
        return storage.withUnsafeBufferPointer { bytes in
            while true {
                let entry = Int(slots[slot])
                if entry < 0 { return nil }
                let start = Int(starts[entry]), end = Int(starts[entry + 1])
                if end - start == key.count, key.elementsEqual(bytes[start ..< end]) { return values[entry] }
                slot = (slot + 1) & mask
            }
        }
    }

    func value(for key: [UInt8]) -> Int32? {
        key.withUnsafeBufferPointer { value(for: $0) }
    }

    /// FNV-1a, 64-bit.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return Int(truncatingIfNeeded: h ^ (h >> 32))
    }
}
