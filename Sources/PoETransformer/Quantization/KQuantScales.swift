/// The 6-bit scale and minimum of sub-block `j` (0..<8) of a Q4_K or Q5_K block, packed in 12 bytes:
/// bytes 0-3 hold the low 6 bits of scales 0-3 (top 2 bits: high bits of scales 4-7), bytes 4-7 the same
/// for minimums, bytes 8-11 the low nibbles of scales 4-7 (low) and minimums 4-7 (high).
@inline(__always)
func kQuantScaleMin(_ j: Int, _ scales: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
    if j < 4 {
        return (scales.byte(at: j) & 63, scales.byte(at: j + 4) & 63)
    }
    let scale = (scales.byte(at: j + 4) & 0x0F) | ((scales.byte(at: j - 4) >> 6) << 4)
    let min = (scales.byte(at: j + 4) >> 4) | ((scales.byte(at: j) >> 6) << 4)
    return (scale, min)
}

/// The multipliers of sub-blocks `2·pair` and `2·pair + 1` of a Q4_K or Q5_K block:
/// value = scale · q − offset, with scale = d · scaleₛ and offset = dmin · minₛ.
@inline(__always)
func kQuantPairMultipliers(
    _ pair: Int, d: Float, dmin: Float, scales: UnsafeRawPointer
) -> (scale0: Float, offset0: Float, scale1: Float, offset1: Float) {
    let (scale0, min0) = kQuantScaleMin(2 * pair, scales)
    let (scale1, min1) = kQuantScaleMin(2 * pair + 1, scales)
    return (d * Float(scale0), dmin * Float(min0), d * Float(scale1), dmin * Float(min1))
}
