/// Q4_K: 256 values in 8 sub-blocks of 32, each with a 6-bit scale and minimum,
/// `x = d * scale_s * q - dmin * min_s`.
///
///     d: f16 | dmin: f16 | scales: 12 bytes (see `kQuantScaleMin`) | qs: 128 bytes
///
/// Each 32 bytes of `qs` hold two sub-blocks: the first in the low nibbles, the second in the high.
enum Q4K: BlockFormat {
    static let type = GGMLType.q4_K
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        let dmin = block.loadHalf(at: 2)
        let scales = block + 4
        let qs = block + 16
        for pair in 0 ..< 4 {
            let (d0, m0, d1, m1) = kQuantPairMultipliers(pair, d: d, dmin: dmin, scales: scales)
            let out = values + 64 * pair
            for l in 0 ..< 32 {
                let q = qs.byte(at: 32 * pair + l)
                out[l] = d0 * Float(q & 0x0F) - m0
                out[l + 32] = d1 * Float(q >> 4) - m1
            }
        }
    }
}
