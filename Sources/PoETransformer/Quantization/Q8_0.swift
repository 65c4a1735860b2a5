/// Q8_0: 32 values as signed bytes with one scale, `x = d * q`.
///
///     d: f16 | qs: 32 × i8
enum Q8_0: BlockFormat {
    static let type = GGMLType.q8_0
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        for j in 0 ..< 32 {
            values[j] = Float(block.signedByte(at: 2 + j)) * d
        }
    }
}
