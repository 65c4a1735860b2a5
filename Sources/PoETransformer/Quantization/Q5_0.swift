/// Q5_0: 32 values as 5-bit integers with one scale, `x = d * (q - 16)`.
///
///     d: f16 | qh: u32 (bit j is the fifth bit of value j) | qs: 16 bytes of low nibbles as in Q4_0
enum Q5_0: BlockFormat {
    static let type = GGMLType.q5_0
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for j in 0 ..< 16 {
            let q = block.byte(at: 6 + j)
            let high0 = UInt8(truncatingIfNeeded: (qh >> j) << 4) & 0x10
            let high1 = UInt8(truncatingIfNeeded: qh >> (j + 12)) & 0x10
            values[j] = Float(Int32((q & 0x0F) | high0) - 16) * d
            values[j + 16] = Float(Int32((q >> 4) | high1) - 16) * d
        }
    }
}
