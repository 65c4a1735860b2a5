/// Q5_K: like Q4_K with a fifth bit per value, `x = d * scale_s * q - dmin * min_s`.
///
///     d: f16 | dmin: f16 | scales: 12 bytes | qh: 32 bytes | qs: 128 bytes
///
/// For sub-block s, bit s of `qh[l]` is the fifth bit of value l of that sub-block.
enum Q5K: BlockFormat {
    static let type = GGMLType.q5_K
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 0)
        let dmin = block.loadHalf(at: 2)
        let scales = block + 4
        let qh = block + 16
        let qs = block + 48
        for pair in 0 ..< 4 {
            let (d0, m0, d1, m1) = kQuantPairMultipliers(pair, d: d, dmin: dmin, scales: scales)
            let bit0: UInt8 = 1 << (2 * pair), bit1: UInt8 = 2 << (2 * pair)
            let out = values + 64 * pair
            for l in 0 ..< 32 {
                let q = qs.byte(at: 32 * pair + l)
                let h = qh.byte(at: l)
                out[l] = d0 * Float((q & 0x0F) + (h & bit0 != 0 ? 16 : 0)) - m0
                out[l + 32] = d1 * Float((q >> 4) + (h & bit1 != 0 ? 16 : 0)) - m1
            }
        }
    }
}
