/// A ggml storage format: `blockElements` values packed into `blockBytes` bytes.
///
/// Layouts follow ggml's `ggml-quants.c` (and gguf-py's `quants.py`); each conformer's file spells out
/// its block.
protocol BlockFormat {
    static var type: GGMLType { get }
    /// Decodes the block at `block` into `type.layout.blockElements` floats at `values`.
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>)
}

extension UnsafeRawPointer {
    /// A little-endian IEEE half at `offset`, widened exactly.
    @inline(__always)
    func loadHalf(at offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }

    @inline(__always)
    func byte(at offset: Int) -> UInt8 { load(fromByteOffset: offset, as: UInt8.self) }

    @inline(__always)
    func signedByte(at offset: Int) -> Int8 { load(fromByteOffset: offset, as: Int8.self) }
}
