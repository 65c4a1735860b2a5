import Foundation

/// `log Σ exp(x)`, computed stably around the maximum.
///
/// The sum runs in Double: a vocabulary of 262 144 terms summed in Float loses about 1e-4 of the
/// normaliser, which shows in every log-probability.
public func logSumExp(_ x: UnsafeBufferPointer<Float>) -> Float {
    guard var maximum = x.first else { return -.infinity }
    for value in x where value > maximum { maximum = value }
    if maximum == -.infinity { return -.infinity }
    var sum: Double = 0
    for value in x { sum += Double(exp(value - maximum)) }
    return maximum + Float(log(sum))
}

/// The `k` largest entries, largest first; among equal values the lower index comes first.
public func top(_ k: Int, of x: UnsafeBufferPointer<Float>) -> [(id: TokenID, logit: Float)] {
    let k = min(k, x.count)
    guard k > 0 else { return [] }
    // A small sorted list suffices: k is tiny next to the vocabulary.
    var best: [(id: TokenID, logit: Float)] = []
    best.reserveCapacity(k + 1)
    for (index, value) in x.enumerated() {
        if best.count == k, let last = best.last, !(value > last.logit) { continue }
        var position = best.count
        while position > 0, value > best[position - 1].logit { position -= 1 }
        best.insert((TokenID(index), value), at: position)
        if best.count > k { best.removeLast() }
    }
    return best
}

/// Whether a row of logits is a distribution: no NaN, no `+infinity`, and some token above `-infinity`.
/// One pass, 16 lanes at a time (it runs on every step of a generation).
struct FiniteCheck {
    enum Defect { case notANumberOrInfinite, allExcluded }

    typealias Lanes = SIMD16<Float>

    let values: UnsafeBufferPointer<Float>
    init(_ values: UnsafeBufferPointer<Float>) { self.values = values }

    var defect: Defect? { Self.scan(values, copyingTo: nil) }

    /// Copies `source` to `destination` (of the same count) and checks it, in one pass.
    static func copy(_ source: UnsafeBufferPointer<Float>, to destination: UnsafeMutableBufferPointer<Float>) -> Defect? {
        scan(source, copyingTo: destination.baseAddress)
    }

    private static func scan(_ values: UnsafeBufferPointer<Float>, copyingTo destination: UnsafeMutablePointer<Float>?) -> Defect? {
        var maximum = Lanes(repeating: -.infinity)
        var unordered = SIMDMask<Lanes.MaskStorage>(repeating: false)
        let full = values.count / Lanes.scalarCount * Lanes.scalarCount
        if let base = values.baseAddress {
            let raw = UnsafeRawPointer(base), out = destination.map(UnsafeMutableRawPointer.init)
            for offset in stride(from: 0, to: full, by: Lanes.scalarCount) {
                let byteOffset = offset * MemoryLayout<Float>.stride
                let lanes = raw.loadUnaligned(fromByteOffset: byteOffset, as: Lanes.self)
                out?.storeBytes(of: lanes, toByteOffset: byteOffset, as: Lanes.self)
                unordered .|= lanes .!= lanes
                maximum.replace(with: lanes, where: lanes .> maximum)
            }
        }
        var largest = maximum.max()
        var nan = any(unordered)
        for index in full ..< values.count {
            let value = values[index]
            destination?[index] = value
            nan = nan || value.isNaN
            if value > largest { largest = value }
        }
        if nan || largest == .infinity { return .notANumberOrInfinite }
        if largest == -.infinity { return .allExcluded }
        return nil
    }

    /// The first NaN or `+infinity`.
    var firstBad: Int? { values.firstIndex { $0.isNaN || $0 == .infinity } }
}

