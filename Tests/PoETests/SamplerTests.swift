import Foundation
import PoE
import Testing

/// Each stage fed a known distribution, with the exact survivors asserted.
@Suite struct SamplerTests {
    /// Probabilities 0.4, 0.3, 0.2, 0.1 (as logits), ids 10 ... 13, shuffled.
    static let candidates = Candidates(ids: [12, 10, 13, 11], logits: [log(0.2), log(0.4), log(0.1), log(0.3)].map(Float.init))

    static func survivors(_ stage: some SamplerStage) -> [TokenID] {
        var stage = stage
        var candidates = Self.candidates
        stage.apply(&candidates)
        return candidates.ids
    }

    @Test func topK() {
        #expect(Self.survivors(TopKStage(k: 2)) == [10, 11])
        #expect(Self.survivors(TopKStage(k: 0)) == [12, 10, 13, 11])
        #expect(Self.survivors(TopKStage(k: 9)) == [12, 10, 13, 11])
    }

    @Test func topP() {
        #expect(Self.survivors(TopPStage(p: 0.5)) == [10, 11])  // 0.4 < 0.5, 0.7 ≥ 0.5
        #expect(Self.survivors(TopPStage(p: 0.35)) == [10])
        #expect(Self.survivors(TopPStage(p: 0.95)) == [10, 11, 12, 13])
    }

    @Test func minP() {
        #expect(Self.survivors(MinPStage(p: 0.5)) == [12, 10, 11])  // at least 0.2 = 0.5 × 0.4
        #expect(Self.survivors(MinPStage(p: 0.9)) == [10])
    }

    @Test func temperature() {
        var stage = TemperatureStage(temperature: 2)
        var candidates = Self.candidates
        stage.apply(&candidates)
        #expect(candidates.logits == Self.candidates.logits.map { $0 / 2 })
    }

    @Test func greedyPicksTheLargest() {
        var sampler = Sampler(.greedy)
        let logits: [Float] = [0.5, 2, -1, 2, 1]
        #expect(logits.withUnsafeBufferPointer { sampler.sample($0) } == 1)  // the lower id among equals
    }

    /// Draws follow the distribution: with a fixed seed the counts are exact, and close to 0.4/0.3/0.2/0.1.
    @Test func drawsFollowTheDistribution() {
        var sampler = Sampler(SamplingParameters(temperature: 1, seed: 42))
        let logits: [Float] = [log(0.4), log(0.3), log(0.2), log(0.1)].map(Float.init)
        var counts = [0, 0, 0, 0]
        for _ in 0 ..< 20000 { counts[Int(logits.withUnsafeBufferPointer { sampler.sample($0) })] += 1 }
        let frequencies = counts.map { Double($0) / 20000 }
        for (f, p) in zip(frequencies, [0.4, 0.3, 0.2, 0.1]) { #expect(abs(f - p) < 0.015, "\(frequencies)") }
    }

    /// Each sequence has its own generator: the same seed gives the same draws, whatever else is sampled
    /// in between.
    @Test func sameSeedSameDrawsWhateverElseRuns() {
        let logits: [Float] = (0 ..< 50).map { Float(sin(Double($0))) }
        var alone = Sampler(SamplingParameters(temperature: 1, topP: 0.9, seed: 7))
        let first = (0 ..< 30).map { _ in logits.withUnsafeBufferPointer { alone.sample($0) } }
        var a = Sampler(SamplingParameters(temperature: 1, topP: 0.9, seed: 7))
        var other = Sampler(SamplingParameters(temperature: 1.5, seed: 8))
        var interleaved: [TokenID] = []
        for _ in 0 ..< 30 {
            _ = logits.withUnsafeBufferPointer { other.sample($0) }
            interleaved.append(logits.withUnsafeBufferPointer { a.sample($0) })
        }
        #expect(first == interleaved)
        var different = Sampler(SamplingParameters(temperature: 1, topP: 0.9, seed: 8))
        #expect((0 ..< 30).map { _ in logits.withUnsafeBufferPointer { different.sample($0) } } != first)
    }

    /// On a vocabulary-sized row (with ties, a ruled-out token and a long flat tail), top-k and top-p
    /// keep exactly what sorting the whole row keeps, in the same order.
    @Test(arguments: [1, 2, 40, 1000], [0.05, 0.5, 0.9, 0.999] as [Float])
    func largeRowsKeepWhatAFullSortKeeps(k: Int, p: Float) {
        var generator = SeededGenerator(seed: UInt64(k) &* 31 &+ UInt64(p * 1000))
        var logits = (0 ..< 50_000).map { _ in Float(generator.nextUnit() * 6 - 3) }
        for i in stride(from: 0, to: 50_000, by: 997) { logits[i] = 2.5 }  // ties
        logits[123] = -.infinity
        let full = Candidates(ids: (0 ..< 50_000).map(TokenID.init), logits: logits)
        let order = full.ids.indices.sorted { full.logits[$0] > full.logits[$1] || (full.logits[$0] == full.logits[$1] && $0 < $1) }
        var topK = full
        TopKStage(k: k).applied(to: &topK)
        #expect(topK.ids == order.prefix(k).map(TokenID.init))
        let maximum = logits.max()!
        let total = logits.reduce(0.0) { $0 + Double(exp($1 - maximum)) }
        var cumulative = 0.0, kept = 0
        for index in order {
            cumulative += Double(exp(logits[index] - maximum)) / total
            kept += 1
            if cumulative >= Double(p) { break }
        }
        var topP = full
        TopPStage(p: p).applied(to: &topP)
        #expect(topP.ids == order.prefix(kept).map(TokenID.init))
    }
}

extension SamplerStage {
    func applied(to candidates: inout Candidates) {
        var stage = self
        stage.apply(&candidates)
    }
}
