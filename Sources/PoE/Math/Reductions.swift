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
