import Foundation
import PoE
import PoETransformer
import Testing

/// The opt-in 8-bit activations (`ActivationPrecision.q8`) on the real models, against the fixtures of
/// scripts/llama_reference.py: rounding the activations must move the logits away from the exact (float64)
/// ones no further than llama.cpp's own rounding moves them, which is what llama.cpp runs by default.
@Suite struct QuantizedActivationTests {
    /// Every fixture sequence, appended 16 tokens at a time so that every product takes the fused kernels
    /// and so the rounded activations. Returns (ours against float64, llama.cpp's decode path against
    /// float64, ours against our exact float32 path) over every sampled position.
    static func compare(model: String) throws -> (rounded: Agreement, llamaCpp: Agreement, exact: Agreement) {
        let fixture = try Fixtures.load(LogitsFixture.self, "\(model)/logits.json")
        let rounded = try RealModels.named(model, activations: .q8), exact = try RealModels.named(model)
        var ours = Agreement(), llamaCpp = Agreement(), againstExact = Agreement()
        try fixture.replay([rounded, exact], appending: { start, count in min(start + WeightMatrix.fusedLimit, count) }) { sequence, index, rows in
            ours.add(reference: sequence.float64, index: index, candidate: rows[0])
            llamaCpp.add(reference: sequence.float64, index: index, candidate: FixtureRow(distribution: sequence.llama_cpp_decode, index: index))
            againstExact.add(reference: sequence.float64, index: index, candidate: rows[1])
        }
        return (ours, llamaCpp, againstExact)
    }

    @Test(arguments: RealModels.names)
    func roundingMovesLogitsNoFurtherThanLlamaCppsOwn(model: String) throws {
        let (rounded, llamaCpp, exact) = try Self.compare(model: model)
        print("[q8] \(model) 8-bit activations vs float64: \(rounded)")
        print("[q8] \(model) llama.cpp decode vs float64: \(llamaCpp)")
        print("[q8] \(model) float32 activations vs float64: \(exact)")
        #expect(rounded.positions > 400, "\(model): \(rounded.positions) positions compared")
        // The exact path is exact, and the rounded one is not: the comparison measures something.
        #expect(exact.meanKL < 1e-6, "\(model): float32 path, mean KL \(exact.meanKL)")
        #expect(rounded.meanKL > 10 * exact.meanKL, "\(model): 8-bit path, mean KL \(rounded.meanKL) is no larger than the exact path's")
        #expect(rounded.meanKL <= 1.5 * llamaCpp.meanKL, "\(model): mean KL \(rounded.meanKL), llama.cpp's \(llamaCpp.meanKL)")
        #expect(rounded.topOneRate >= llamaCpp.topOneRate - 0.03, "\(model): top-1 \(rounded.topOneRate), llama.cpp's \(llamaCpp.topOneRate)")
    }

    /// A batch of sessions stepped together gives each row the bits that session gets alone, as in float32.
    @Test func batchedRowsEqualSingleSteps() throws {
        let model = try RealModels.named("smollm2-135m-instruct", activations: .q8)
        let prompts: [[TokenID]] = [[1, 2, 3, 4], [5, 6], [7, 8, 9], [10]]
        let batch = try prompts.map { prompt in
            let session = try model.makeSession()
            _ = try session.append(prompt.map { $0 + 300 }, logits: .none)
            return session
        }
        let alone = try batch.map { try $0.fork() }
        for step in 0 ..< 3 {
            let tokens = (0 ..< batch.count).map { TokenID(400 + 10 * step + $0) }
            let logits = try model.decode(batch, tokens: tokens)
            for i in batch.indices {
                let single = try alone[i].append([tokens[i]], logits: .last)
                #expect(logits[i].map(\.bitPattern) == single[0].map(\.bitPattern), "session \(i) step \(step)")
            }
        }
    }

    /// Sessions of models with different precisions cannot share a batch.
    @Test func aBatchHasOnePrecision() throws {
        let rounded = try RealModels.named("smollm2-135m-instruct", activations: .q8)
        let exact = try Transformer(file: rounded.file)
        let sessions = [try rounded.makeSession(), try exact.makeSession()]
        #expect(throws: LanguageModelError.self) { try rounded.decode(sessions, tokens: [1, 2]) }
    }
}
