import Foundation
import PoE
import PoETransformer
import Testing

/// Half-precision KV caches (`KVCachePrecision.f16`) on the real models, against the fixtures of
/// scripts/llama_reference.py: the prompt path (keys widened for the matrix products) and the decode path
/// (`poe_attend_f16`) must stay close to the exact function, and agree with llama.cpp, whose default cache
/// is F16 too, as well as the float32 cache does.
@Suite struct HalfCacheTests {
    /// Every fixture sequence, as prompts of up to 300 tokens and then its last 16 positions one at a time:
    /// (half cache against float64, half cache against llama.cpp, float32 cache against llama.cpp).
    static func compare(model: String) throws -> (exact: Agreement, llamaCpp: Agreement, float32LlamaCpp: Agreement) {
        let fixture = try Fixtures.load(LogitsFixture.self, "\(model)/logits.json")
        let half = try RealModels.named(model, kvCache: .f16), float32 = try RealModels.named(model)
        var exact = Agreement(), llamaCpp = Agreement(), float32LlamaCpp = Agreement()
        try fixture.replay([half, float32], appending: { start, count in start < count - 16 ? min(start + 300, count - 16) : start + 1 }) { sequence, index, rows in
            exact.add(reference: sequence.float64, index: index, candidate: rows[0])
            llamaCpp.add(reference: sequence.llama_cpp, index: index, candidate: rows[0])
            float32LlamaCpp.add(reference: sequence.llama_cpp, index: index, candidate: rows[1])
        }
        return (exact, llamaCpp, float32LlamaCpp)
    }

    @Test(arguments: RealModels.names)
    func halfCachesStayCloseToTheExactFunction(model: String) throws {
        let (exact, llamaCpp, float32LlamaCpp) = try Self.compare(model: model)
        print("[f16 cache] \(model) vs float64: \(exact)")
        print("[f16 cache] \(model) vs llama.cpp: \(llamaCpp)")
        print("[f16 cache] \(model) float32 cache vs llama.cpp: \(float32LlamaCpp)")
        #expect(exact.positions > 400, "\(model): \(exact.positions) positions compared")
        #expect(exact.meanKL > 1e-9, "\(model): the half cache changed nothing (mean KL \(exact.meanKL))")
        #expect(exact.meanKL < 1e-4, "\(model): mean KL \(exact.meanKL) against float64")
        #expect(exact.topOneRate >= 0.99, "\(model): top-1 \(exact.topOneAgreements)/\(exact.positions) against float64")
        #expect(llamaCpp.meanKL <= 1.2 * float32LlamaCpp.meanKL, "\(model): mean KL \(llamaCpp.meanKL) against llama.cpp, float32 cache \(float32LlamaCpp.meanKL)")
    }

    /// Forks, truncation and a sliding window's dropped rows work on halves as on floats: a forked session
    /// and a session truncated and re-run give the bits the original gives.
    @Test func forksAndTruncationKeepTheBits() throws {
        let model = try RealModels.named("gemma-3-270m", kvCache: .f16)
        let tokens = (0 ..< 700).map { TokenID(1000 + ($0 * 37) % 5000) }  // past Gemma's 512-token window
        let session = try model.makeSession()
        _ = try session.append(Array(tokens[..<690]), logits: .none)
        let fork = try session.fork()
        let expected = try session.append(Array(tokens[690...]), logits: .all)
        let forked = try fork.append(Array(tokens[690...]), logits: .all)
        #expect(forked.values.map(\.bitPattern) == expected.values.map(\.bitPattern))
        try session.truncate(to: 690)
        let again = try session.append(Array(tokens[690...]), logits: .all)
        #expect(again.values.map(\.bitPattern) == expected.values.map(\.bitPattern))
    }
}
