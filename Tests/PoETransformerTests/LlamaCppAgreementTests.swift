import Foundation
import PoE
import PoETransformer
import Testing

/// Our logits against llama.cpp's on the real models (fixtures from scripts/llama_reference.py):
/// mean KL(llama.cpp ‖ ours) < 0.01 nats and top-1 agreement ≥ 99 %, over all sequences and over the
/// long one alone (1200 tokens for Gemma 3, more than twice its 512-token window).
@Suite struct LlamaCppAgreementTests {
    /// Tokens per append: Gemma's 262 144-wide logits are kept to a few hundred rows at a time.
    static let appendSize = ["gemma-3-270m": 300, "smollm2-135m-instruct": 1024]

    @Test(arguments: RealModels.names)
    func prefillLogitsMatch(model: String) throws {
        let fixture = try Fixtures.load(LogitsFixture.self, "\(model)/logits.json")
        let transformer = try RealModels.named(model)
        var total = Agreement()
        for sequence in fixture.sequences {
            var agreement = Agreement()
            let session = try transformer.makeSession()
            let step = Self.appendSize[model] ?? 256
            var start = 0
            var next = 0  // index into sequence.positions
            while start < sequence.ids.count {
                let end = min(start + step, sequence.ids.count)
                let logits = try session.append(Array(sequence.ids[start ..< end]), logits: .all)
                while next < sequence.positions.count, sequence.positions[next] < end {
                    agreement.add(ours: logits, row: sequence.positions[next] - start, reference: sequence, index: next)
                    next += 1
                }
                start = end
            }
            print("[agreement] \(model) \(sequence.name): \(sequence.ids.count) tokens, \(agreement)")
            agreement.expectWithinBounds("\(model) \(sequence.name)")
            total.merge(agreement)
        }
        print("[agreement] \(model) all sequences: \(total)")
        total.expectWithinBounds("\(model) all sequences")
    }

    /// The single-token decode path: the last 16 positions appended one at a time.
    @Test(arguments: RealModels.names)
    func decodeLogitsMatch(model: String) throws {
        let fixture = try Fixtures.load(LogitsFixture.self, "\(model)/logits.json")
        let sequence = try #require(fixture.sequences.first { $0.name == "reference" })
        let session = try RealModels.named(model).makeSession()
        let tail = sequence.ids.count - 16
        _ = try session.append(Array(sequence.ids[..<tail]), logits: .none)
        var agreement = Agreement()
        for position in tail ..< sequence.ids.count {
            let logits = try session.append([sequence.ids[position]], logits: .last)
            let index = try #require(sequence.positions.firstIndex(of: position))
            agreement.add(ours: logits, row: 0, reference: sequence, index: index)
        }
        print("[agreement] \(model) decode: \(agreement)")
        agreement.expectWithinBounds("\(model) decode")
    }
}

/// KL(llama.cpp ‖ ours) per position over llama.cpp's top-k tokens plus one bin for the rest of the
/// vocabulary (a lower bound of the full KL, tight when the top-k hold most of the mass), and top-1 agreement.
struct Agreement: CustomStringConvertible {
    var positions = 0
    var klSum = 0.0
    var worstKL = 0.0
    var topOneAgreements = 0
    var tailMassSum = 0.0

    var meanKL: Double { klSum / Double(max(positions, 1)) }
    var topOneRate: Double { Double(topOneAgreements) / Double(max(positions, 1)) }

    mutating func add(ours logits: LogitMatrix, row: Int, reference: LogitsFixture.Sequence, index: Int) {
        let ids = reference.top_ids[index], referenceLogits = reference.top_logits[index]
        let referenceLSE = reference.logsumexp[index]
        let oursLSE = Double(logits.logSumExp(row: row))
        let ourRow = logits[row]
        var kl = 0.0, pMass = 0.0, qMass = 0.0
        for (id, logit) in zip(ids, referenceLogits) {
            let logP = logit - referenceLSE
            let logQ = Double(ourRow[ourRow.startIndex + Int(id)]) - oursLSE
            let p = exp(logP)
            kl += p * (logP - logQ)
            pMass += p
            qMass += exp(logQ)
        }
        let pTail = max(0, 1 - pMass), qTail = max(1e-12, 1 - qMass)
        if pTail > 1e-9 { kl += pTail * log(pTail / qTail) }
        positions += 1
        klSum += kl
        worstKL = max(worstKL, kl)
        tailMassSum += pTail
        if logits.argmax(row: row) == ids[0] { topOneAgreements += 1 }
    }

    mutating func merge(_ other: Agreement) {
        positions += other.positions
        klSum += other.klSum
        worstKL = max(worstKL, other.worstKL)
        topOneAgreements += other.topOneAgreements
        tailMassSum += other.tailMassSum
    }

    func expectWithinBounds(_ what: String) {
        #expect(positions > 0, "\(what): no positions compared")
        #expect(meanKL < 0.01, "\(what): mean KL \(meanKL)")
        #expect(topOneRate >= 0.99, "\(what): top-1 agreement \(topOneRate)")
    }

    var description: String {
        let kl = (meanKL * 1e5).rounded() / 1e5, worst = (worstKL * 1e4).rounded() / 1e4
        let tail = (tailMassSum / Double(max(positions, 1)) * 1e3).rounded() / 1e3
        return "\(positions) positions, mean KL \(kl), worst KL \(worst), top-1 \(topOneAgreements)/\(positions), mean tail mass \(tail)"
    }
}
