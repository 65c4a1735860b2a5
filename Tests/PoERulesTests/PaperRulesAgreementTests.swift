import Foundation
import PoE
import PoERules
import PoETransformer
import Testing

struct GenerationFixture: Decodable {
    struct Generation: Decodable {
        let instruction: Int
        let prompt: [Int32]
        let instruction_start: Int
        /// With the end-of-generation token last when `stop_reason` is "eos".
        let tokens: [Int32]
        /// The reference's top-2 margin of the product at each step.
        let margins: [Double]
        let stop_reason: String
    }

    let model: String
    let max_tokens: Int
    let eos: Int32
    let rule_tokens: [String: Int32]
    let generations: [Generation]

    static func load(_ model: String) throws -> GenerationFixture {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { throw CocoaError(.fileNoSuchFile) }
        return try JSONDecoder().decode(GenerationFixture.self, from: Data(contentsOf: root.appendingPathComponent("generation/\(model).json")))
    }
}

enum Models {
    static let gemma = Result { try Transformer(path: ModelStore().resolve("gemma-3-270m").path) }
    static let smollm = Result { try Transformer(path: ModelStore().resolve("smollm2-135m-instruct").path) }
    static func named(_ name: String) throws -> Transformer { try (name == "gemma-3-270m" ? gemma : smollm).get() }
    static let names = ["gemma-3-270m", "smollm2-135m-instruct"]
}

/// Greedy `paper` generations against an independent implementation of the reference's rules (numpy over
/// llama.cpp's logits, in scripts/llama_reference.py) on every Hewitt instruction.
///
/// llama.cpp's logits carry noise of their own (see docs/accuracy.md), so the two must agree token for
/// token up to the first step where the reference's top-2 margin falls below 0.1, and to the end, with
/// the same stop reason, where it never does.
@Suite struct PaperRulesAgreementTests {
    static let lowMargin = 0.1

    /// The 15 texts resolve to the token llama.cpp's tokenizer gives each.
    @Test(arguments: Models.names)
    func uniformTokensResolveAsLlamaCppTokenizes(model: String) throws {
        let fixture = try GenerationFixture.load(model)
        let tokenizer = try Models.named(model).tokenizer
        let resolved = resolveTokens(RuleSet.paperTokenChanges.map(\.0), tokenizer: tokenizer)
        for ((text, _), id) in zip(RuleSet.paperTokenChanges, resolved) {
            #expect(id == fixture.rule_tokens[text], "\(model): \(text.debugDescription)")
        }
        #expect(tokenizer.vocabulary.eos == fixture.eos)
    }

    @Test(arguments: Models.names)
    func greedyGenerationsMatchTheReference(model: String) throws {
        let fixture = try GenerationFixture.load(model)
        let transformer = try Models.named(model)
        let experts = try RuleSet.paper.build(RuleBuildContext(tokenizer: transformer.tokenizer))
        let generator = Generator(
            model: transformer, product: try ProductOfExperts(experts, vocabulary: transformer.vocabulary),
            parameters: GenerationParameters(template: .tulu, maxTokens: fixture.max_tokens))
        let instructions = try readHewitt()
        var full = 0, untilLowMargin = 0
        var failures: [String] = []
        for reference in fixture.generations {
            let instruction = instructions[reference.instruction]
            let prompt = try PromptTemplate.tulu.prompt(for: instruction, tokenizer: transformer.tokenizer)
            #expect(prompt.tokens == reference.prompt, "\(model) \(reference.instruction): prompt tokens")
            #expect(prompt.instructionStart == reference.instruction_start)
            let result = try generator.generate(instruction)
            let ours = result.tokens + (result.stopToken.map { [$0] } ?? [])
            let lowStep = reference.margins.firstIndex { $0 < Self.lowMargin } ?? reference.tokens.count
            if lowStep == reference.tokens.count {
                if ours == reference.tokens && result.stopReason.rawValue == reference.stop_reason { full += 1 } else {
                    failures.append("\(reference.instruction): differs at step \(firstDifference(ours, reference.tokens)) of \(reference.tokens.count) (margins \(reference.margins.min() ?? 0) and up)")
                }
            } else if Array(ours.prefix(lowStep)) == Array(reference.tokens.prefix(lowStep)) {
                untilLowMargin += 1
            } else {
                let step = firstDifference(ours, reference.tokens)
                failures.append("\(reference.instruction): differs at step \(step), before the first margin under \(Self.lowMargin) (step \(lowStep)); reference margin there \(reference.margins[step])")
            }
        }
        print("[paper rules] \(model): \(full) of \(fixture.generations.count) equal to the end, \(untilLowMargin) equal up to the first margin under \(Self.lowMargin), \(failures.count) differ")
        for failure in failures { print("[paper rules] \(model) instruction \(failure)") }
        #expect(failures.isEmpty)
    }

    func firstDifference(_ a: [Int32], _ b: [Int32]) -> Int {
        a.indices.first { $0 < b.count && a[$0] != b[$0] } ?? min(a.count, b.count)
    }

    func readHewitt() throws -> [String] {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else { throw CocoaError(.fileNoSuchFile) }
        let text = try String(contentsOf: root.appendingPathComponent("hewitt-val-instructions.json"), encoding: .utf8)
        return try JSONDecoder().decode([String].self, from: Data(text.utf8))
    }
}
