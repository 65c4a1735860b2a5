import Foundation
import PoE
import PoETraining
import PoETransformer
import Testing

@Suite struct TrainerTests {
    static func settings(steps: Int, seed: UInt64 = 3) -> TrainingSettings {
        TrainingSettings(
            model: "tiny", data: "data.jsonl", dataFingerprint: "x", format: .response, template: "tulu", rank: 4, alpha: 8,
            targets: LoRATarget.allCases, steps: steps, epochs: nil, learningRate: 5e-3, warmupSteps: 2, schedule: .cosine,
            weightDecay: 0.01, clip: 1, batchTokens: 40, maxLength: 32, evalFraction: 0.2, evalEvery: 2, seed: seed)
    }

    static func examples(_ model: Transformer) throws -> [TrainingExample] {
        let texts = ["abc abc abc", "the cat sat", "hello there", "one two three four", "a b c d e f", "zzz yyy xxx", "quiet quick quest", "more text here"]
        return try texts.map { TrainingExample(tokens: [1] + (try model.tokenizer.encode($0, addSpecial: false, parseSpecial: false)) + [2], lossStart: 1) }
    }

    /// Six steps at once, or three, a checkpoint, a new trainer restored from it and three more: the same
    /// adapter, bit for bit.
    @Test func resumingContinuesExactly() throws {
        let model = try TinyModels.write(architecture: "gemma3")
        let examples = try Self.examples(model)
        let whole = try Trainer(model: model, settings: Self.settings(steps: 6), examples: examples)
        let losses = (0 ..< 6).map { _ in whole.trainStep().loss }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poe-checkpoint-\(UUID().uuidString)").path
        let first = try Trainer(model: model, settings: Self.settings(steps: 6), examples: examples)
        for _ in 0 ..< 3 { _ = first.trainStep() }
        try first.saveCheckpoint(to: directory)
        let second = try Trainer(model: model, settings: Self.settings(steps: 6), examples: examples)
        try second.restoreCheckpoint(from: directory)
        #expect(second.step == 3)
        let resumed = (0 ..< 3).map { _ in second.trainStep().loss }
        #expect(resumed == Array(losses.suffix(3)))
        let a = try adapterBytes(whole), b = try adapterBytes(second)
        #expect(a == b)
        // Other settings are refused.
        let other = try Trainer(model: model, settings: Self.settings(steps: 6, seed: 4), examples: examples)
        #expect(throws: TrainingError.self) { try other.restoreCheckpoint(from: directory) }
    }

    func adapterBytes(_ trainer: Trainer) throws -> Data {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poe-adapter-\(UUID().uuidString).gguf").path
        try trainer.writeAdapter(to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// Training lowers the loss on what it trains on; the adapter it writes, read back as any adapter is
    /// (`--lora`), gives the inference engine the loss the training graph computes.
    @Test func theWrittenAdapterIsWhatWasTrained() throws {
        let model = try TinyModels.write(architecture: "llama", separateOutput: true)
        let examples = try Self.examples(model)
        var settings = Self.settings(steps: 30)
        settings.evalFraction = 0
        let trainer = try Trainer(model: model, settings: settings, examples: examples)
        let before = try #require(trainer.evaluate(examples))
        for _ in 0 ..< 30 { _ = trainer.trainStep() }
        let after = try #require(trainer.evaluate(examples))
        #expect(after < 0.8 * before, "loss \(before) -> \(after)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poe-adapter-\(UUID().uuidString).gguf").path
        try trainer.writeAdapter(to: path)
        let adapted = try model.adapted(by: [ScaledAdapter(LoRAAdapter(path: path, for: model))])
        var total = 0.0, count = 0
        for example in examples {
            let logits = try adapted.makeSession().append(Array(example.tokens.dropLast()), logits: .all)
            for position in (example.lossStart - 1) ..< (example.tokens.count - 1) {
                total += Double(logits.logSumExp(row: position)) - Double(logits[position][logits.columns * position + Int(example.tokens[position + 1])])
                count += 1
            }
        }
        #expect(abs(total / Double(count) - after) < 1e-4, "inference with the written adapter: \(total / Double(count)), training: \(after)")
    }
}
