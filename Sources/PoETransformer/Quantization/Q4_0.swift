/// Q4_0: 32 values as 4-bit integers with one scale, `x = d * (q - 8)`.
///
///     d: f16 | qs: 16 bytes (value j in the low nibble of byte j, value j+16 in the high nibble)
enum Q4_0: BlockFormat {
    static let type = GGMLType.q4_0
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        for j in 0 ..< 16 {
            let q = block.byte(at: 2 + j)
            values[j] = Float(Int32(q & 0x0F) - 8) * d
            values[j + 16] = Float(Int32(q >> 4) - 8) * d
        }
    }
}
