import Foundation
import PoE
import PoETransformer
import Testing

/// Something that can be compared with a reference distribution: a logit per id, its logsumexp, its argmax.
protocol LogitSource {
    func logit(_ id: TokenID) -> Double
    var logSumExp: Double { get }
    var argmax: TokenID { get }
}

/// One row of our logits.
struct LogitRow: LogitSource {
    let matrix: LogitMatrix
    let row: Int

    func logit(_ id: TokenID) -> Double { Double(matrix.values[row * matrix.columns + Int(id)]) }
    var logSumExp: Double { Double(matrix.logSumExp(row: row)) }
    var argmax: TokenID { matrix.argmax(row: row) }
}

/// One position of a fixture distribution (only its listed ids have logits).
struct FixtureRow: LogitSource {
    let distribution: LogitsFixture.Distribution
    let index: Int

    /// The stored logit, or for an id outside the stored top-k the smallest stored one: the most that id
    /// can have, so the KL term it enters is a lower bound rather than infinite.
    func logit(_ id: TokenID) -> Double {
        let ids = distribution.top_ids[index], logits = distribution.top_logits[index]
        return ids.firstIndex(of: id).map { logits[$0] } ?? logits.min() ?? -.infinity
    }

    var logSumExp: Double { distribution.logsumexp[index] }
    var argmax: TokenID { distribution.argmax[index] }
}

/// How closely a candidate follows a reference over many positions.
///
/// KL(reference ‖ candidate) is taken over the reference's top-k ids plus one bin for the rest of the
/// vocabulary: a lower bound of the full KL, tight when the top-k hold most of the mass.
struct Agreement: CustomStringConvertible {
    var positions = 0
    var klSum = 0.0
    var worstKL = 0.0
    var topOneAgreements = 0
    /// Largest |candidate − reference| over the reference's top-k log-probabilities.
    var worstLogProbabilityError = 0.0

    var meanKL: Double { klSum / Double(max(positions, 1)) }
    var topOneRate: Double { Double(topOneAgreements) / Double(max(positions, 1)) }

    mutating func add(reference: LogitsFixture.Distribution, index: Int, candidate: some LogitSource) {
        let ids = reference.top_ids[index], logits = reference.top_logits[index]
        let referenceLSE = reference.logsumexp[index], candidateLSE = candidate.logSumExp
        var kl = 0.0, pMass = 0.0, qMass = 0.0
        for (id, logit) in zip(ids, logits) {
            let logP = logit - referenceLSE, logQ = candidate.logit(id) - candidateLSE
            let p = exp(logP)
            kl += p * (logP - logQ)
            pMass += p
            qMass += exp(logQ)
            worstLogProbabilityError = max(worstLogProbabilityError, abs(logP - logQ))
        }
        let pTail = max(0, 1 - pMass), qTail = max(1e-12, 1 - qMass)
        if pTail > 1e-9 { kl += pTail * log(pTail / qTail) }
        positions += 1
        klSum += kl
        worstKL = max(worstKL, kl)
        if candidate.argmax == reference.argmax[index] { topOneAgreements += 1 }
    }

    mutating func merge(_ other: Agreement) {
        positions += other.positions
        klSum += other.klSum
        worstKL = max(worstKL, other.worstKL)
        topOneAgreements += other.topOneAgreements
        worstLogProbabilityError = max(worstLogProbabilityError, other.worstLogProbabilityError)
    }

    var description: String {
        func short(_ x: Double) -> String { String(format: "%.3g", x) }
        return "\(positions) positions, mean KL \(short(meanKL)), worst KL \(short(worstKL)), "
            + "top-1 \(topOneAgreements)/\(positions), worst log-prob error \(short(worstLogProbabilityError))"
    }
}

extension LogitsFixture {
    /// Runs every sequence through a fresh session of each of `models`, appending `ids[start ..< next(start)]`
    /// at a time, and hands each sampled position to `visit`: the sequence, the position's index in its
    /// fixture rows, and each model's logits there (in the order of `models`).
    func replay(
        _ models: [Transformer], appending next: (_ start: Int, _ count: Int) -> Int,
        _ visit: (_ sequence: Sequence, _ index: Int, _ rows: [LogitRow]) -> Void
    ) throws {
        for sequence in sequences {
            let sessions = try models.map { try $0.makeSession() }
            var start = 0
            while start < sequence.ids.count {
                let end = next(start, sequence.ids.count)
                let logits = try sessions.map { try $0.append(Array(sequence.ids[start ..< end]), logits: .all) }
                for (index, position) in sequence.positions.enumerated() where (start ..< end).contains(position) {
                    visit(sequence, index, logits.map { LogitRow(matrix: $0, row: position - start) })
                }
                start = end
            }
        }
    }
}
