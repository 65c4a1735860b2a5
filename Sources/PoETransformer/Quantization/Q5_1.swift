/// Q5_1: 32 values as 5-bit integers with a scale and a minimum, `x = d * q + m`.
///
///     d: f16 | m: f16 | qh: u32 (fifth bits) | qs: 16 bytes of low nibbles
enum Q5_1: BlockFormat {
    static let type = GGMLType.q5_1
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        let m = block.loadHalf(at: 2)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for j in 0 ..< 16 {
            let q = block.byte(at: 8 + j)
            let high0 = UInt8(truncatingIfNeeded: (qh >> j) << 4) & 0x10
            let high1 = UInt8(truncatingIfNeeded: qh >> (j + 12)) & 0x10
            values[j] = Float((q & 0x0F) | high0) * d + m
            values[j + 16] = Float((q >> 4) | high1) * d + m
        }
    }
}
