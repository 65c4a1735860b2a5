/// Q6_K: 256 values as 6-bit integers in 16 sub-blocks of 16, each with a signed 8-bit scale,
/// `x = d * scale_s * (q - 32)`.
///
///     ql: 128 bytes (low 4 bits) | qh: 64 bytes (high 2 bits) | scales: 16 × i8 | d: f16
///
/// Each half of the block (128 values) uses 64 bytes of `ql` and 32 of `qh`: value l, l+32, l+64, l+96 of
/// the half take the low/high nibbles of `ql[l]` and `ql[l+32]` and bit pairs 0-1, 2-3, 4-5, 6-7 of `qh[l]`.
enum Q6K: BlockFormat {
    static let type = GGMLType.q6_K
    static func dequantize(block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = block.loadHalf(at: 208)
        for half in 0 ..< 2 {
            let ql = block + 64 * half
            let qh = block + 128 + 32 * half
            let scales = block + 192 + 8 * half
            let out = values + 128 * half
            for l in 0 ..< 32 {
                let low0 = ql.byte(at: l), low1 = ql.byte(at: l + 32), high = qh.byte(at: l)
                let q1 = Int32((low0 & 0x0F) | ((high & 3) << 4)) - 32
                let q2 = Int32((low1 & 0x0F) | (((high >> 2) & 3) << 4)) - 32
                let q3 = Int32((low0 >> 4) | (((high >> 4) & 3) << 4)) - 32
                let q4 = Int32((low1 >> 4) | (((high >> 6) & 3) << 4)) - 32
                let s = l / 16
                out[l] = d * Float(scales.signedByte(at: s)) * Float(q1)
                out[l + 32] = d * Float(scales.signedByte(at: s + 2)) * Float(q2)
                out[l + 64] = d * Float(scales.signedByte(at: s + 4)) * Float(q3)
                out[l + 96] = d * Float(scales.signedByte(at: s + 6)) * Float(q4)
            }
        }
    }
}
