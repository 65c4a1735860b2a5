/// F32: plain little-endian floats.
enum F32Format: BlockFormat {
    static let type = GGMLType.f32
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        values[0] = Float(bitPattern: UInt32(littleEndian: block.loadUnaligned(as: UInt32.self)))
    }
}

/// F16: IEEE half precision.
enum F16Format: BlockFormat {
    static let type = GGMLType.f16
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        values[0] = block.loadHalf(at: 0)
    }
}

/// BF16: the top 16 bits of an F32.
enum BF16Format: BlockFormat {
    static let type = GGMLType.bf16
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let bits = UInt16(littleEndian: block.loadUnaligned(as: UInt16.self))
        values[0] = Float(bitPattern: UInt32(bits) << 16)
    }
}
