/// Reads little-endian values from a byte range, refusing to step past its end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    /// Fails unless `count` more bytes exist; `what` names the thing being read, for the error.
    func require(_ count: Int, for what: @autoclosure () -> String) throws(GGUFProblem) {
        guard count >= 0, count <= remaining else {
            throw .truncated(reading: what(), offset: offset, needed: count, fileSize: bytes.count)
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, for what: @autoclosure () -> String) throws(GGUFProblem) -> T {
        try require(MemoryLayout<T>.size, for: what())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(for what: @autoclosure () -> String) throws(GGUFProblem) -> Float {
        Float(bitPattern: try read(UInt32.self, for: what()))
    }

    mutating func readDouble(for what: @autoclosure () -> String) throws(GGUFProblem) -> Double {
        Double(bitPattern: try read(UInt64.self, for: what()))
    }

    /// A GGUF string: a 64-bit byte length, then that many bytes of UTF-8 (invalid sequences become U+FFFD).
    mutating func readString(for what: @autoclosure () -> String) throws(GGUFProblem) -> String {
        let length = try read(UInt64.self, for: "the length of \(what())")
        guard length <= UInt64(remaining) else {
            throw .lengthPastEnd(of: what(), length: length, offset: offset, remaining: remaining)
        }
        let start = offset
        offset += Int(length)
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start ..< offset]), as: UTF8.self)
    }

    mutating func skip(to newOffset: Int, for what: @autoclosure () -> String) throws(GGUFProblem) {
        try require(newOffset - offset, for: what())
        offset = newOffset
    }
}
