import Foundation
import PoE
import PoETransformer
import Testing

/// LoRA adapters on the real models, against llama.cpp with the same adapter and against the float64 pass
/// on merged weights (W + scale · alpha/r · B A), from scripts/llama_reference.py (`lora`): a random
/// adapter on every projection of a third of the layers, its pairs in F32, F16, BF16 and Q8_0.
@Suite struct LoRAAgreementTests {
    static func fixture(_ model: String) throws -> (LogitsFixture, scale: Float, adapter: String) {
        struct Extra: Decodable { let scale: Float; let adapter: String }
        let extra = try Fixtures.load(Extra.self, "\(model)/lora-logits.json")
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { throw CocoaError(.fileNoSuchFile) }
        return (try Fixtures.load(LogitsFixture.self, "\(model)/lora-logits.json"), extra.scale,
                root.appendingPathComponent("\(model)/\(extra.adapter)").path)
    }

    static func adapted(_ model: String) throws -> (Transformer, LogitsFixture) {
        let (fixture, scale, path) = try fixture(model)
        let base = try RealModels.named(model)
        return (try base.adapted(by: [ScaledAdapter(LoRAAdapter(path: path, for: base), scale: scale)]), fixture)
    }

    /// Prompt processing with the adapter: float32 precision against float64, llama.cpp's bar against
    /// llama.cpp; and the adapter visibly moves the base model's logits.
    @Test(arguments: RealModels.names)
    func promptLogits(model: String) throws {
        let (adapted, fixture) = try Self.adapted(model)
        let base = try RealModels.named(model)
        var exact = Agreement(), llamaCpp = Agreement(), llamaCppSelf = Agreement(), baseAgainstAdapted = Agreement()
        for sequence in fixture.sequences {
            let logits = try adapted.makeSession().append(sequence.ids, logits: .all)
            let baseLogits = try base.makeSession().append(sequence.ids, logits: .all)
            for (index, position) in sequence.positions.enumerated() {
                let ours = LogitRow(matrix: logits, row: position)
                exact.add(reference: sequence.float64, index: index, candidate: ours)
                llamaCpp.add(reference: sequence.llama_cpp, index: index, candidate: ours)
                llamaCppSelf.add(reference: sequence.llama_cpp, index: index, candidate: FixtureRow(distribution: sequence.llama_cpp_decode, index: index))
                baseAgainstAdapted.add(reference: sequence.llama_cpp, index: index, candidate: LogitRow(matrix: baseLogits, row: position))
            }
        }
        print("[lora] \(model) prompt vs float64: \(exact)")
        print("[lora] \(model) prompt vs llama.cpp: \(llamaCpp)")
        print("[lora] \(model) llama.cpp decode vs llama.cpp prompt: \(llamaCppSelf)")
        print("[lora] \(model) base model (no adapter) vs llama.cpp with it: \(baseAgainstAdapted)")
        LlamaCppAgreementTests.expectExact(exact, "\(model) with adapter")
        LlamaCppAgreementTests.expectAsCloseAsLlamaCppItself(llamaCpp, llamaCppSelf, "\(model) with adapter")
        // The adapter acts: without it, the distance to llama.cpp-with-adapter is many times larger.
        #expect(baseAgainstAdapted.meanKL > 10 * llamaCpp.meanKL, "\(model): the adapter changes little (\(baseAgainstAdapted.meanKL))")
    }

    /// Decoding one token at a time, and in a batch that mixes the adapted model's sessions with the base
    /// model's: each row equals its session alone, bit for bit, and the adapted rows match float64.
    @Test(arguments: RealModels.names)
    func singleAndMixedBatchDecode(model: String) throws {
        let (adapted, fixture) = try Self.adapted(model)
        let base = try RealModels.named(model)
        let sequence = try #require(fixture.sequences.first { $0.name == "reference" })
        let tail = sequence.ids.count - 6
        var sessions: [TransformerSession] = []
        for owner in [adapted, base, adapted, base] {
            let session = try owner.makeSession()
            _ = try session.append(Array(sequence.ids[..<tail]), logits: .none)
            sessions.append(session)
        }
        let alone = try sessions.map { try $0.fork() }
        var exact = Agreement()
        for position in tail ..< sequence.ids.count {
            let token = sequence.ids[position]
            let logits = try adapted.decode(sessions, tokens: Array(repeating: token, count: sessions.count))
            for (i, session) in alone.enumerated() {
                let single = try session.append([token], logits: .last)
                #expect(logits[i].map(\.bitPattern) == single[0].map(\.bitPattern), "\(model) row \(i) at \(position)")
            }
            #expect(logits[0] == logits[2] && logits[1] == logits[3] && logits[0] != logits[1])
            if let index = sequence.positions.firstIndex(of: position) {
                exact.add(reference: sequence.float64, index: index, candidate: LogitRow(matrix: logits, row: 0))
            }
        }
        print("[lora] \(model) mixed batched decode vs float64: \(exact)")
        LlamaCppAgreementTests.expectExact(exact, "\(model) decode with adapter")
    }
}
