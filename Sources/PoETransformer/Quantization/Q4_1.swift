/// Q4_1: 32 values as 4-bit integers with a scale and a minimum, `x = d * q + m`.
///
///     d: f16 | m: f16 | qs: 16 bytes (value j low nibble, value j+16 high nibble)
enum Q4_1: BlockFormat {
    static let type = GGMLType.q4_1
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        let m = block.loadHalf(at: 2)
        for j in 0 ..< 16 {
            let q = block.byte(at: 4 + j)
            values[j] = Float(q & 0x0F) * d + m
            values[j + 16] = Float(q >> 4) * d + m
        }
    }
}
