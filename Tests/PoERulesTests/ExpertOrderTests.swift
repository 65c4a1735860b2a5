import Foundation
import PoE
import PoERules
import PoETestSupport
import PoETransformer
import Testing

/// Every expert sees the base model's own logits, so a product's tokens do not depend on the order of its
/// experts (the bug: experts that read `baseLogits` saw the scores of the experts before them).
@Suite struct ExpertOrderTests {
    /// A bias of −10 on a token and the multiplicative penalty ×2 on it: the documented value,
    /// base/2 − 10 (for a positive base logit), in either order.
    @Test func anExpertReadingTheBaseSeesNoOtherExpert() throws {
        let model = TableModel()
        let base = model.logits(after: 41)
        // A token with a positive base logit, used once in the instruction.
        let token = try #require((2 ..< TokenID(base.count)).first { base[Int($0)] > 1 })
        let promptWithToken = Prompt(tokens: [0, token, 41], instructionStart: 1)
        let bias = WeightedExpert(TokenBias(ids: [(token, -10)]))
        let penalty = WeightedExpert(MultiplicativeRepetitionPenalty(penalty: 2, scope: .instruction))
        let expected = base[Int(token)] / 2 - 10
        for experts in [[bias, penalty], [penalty, bias]] {
            let product = try ProductOfExperts(experts, vocabulary: model.vocabulary)
            let state = try product.start(promptWithToken)
            var row = [Float](repeating: 0, count: base.count)
            try base.withUnsafeBufferPointer { base in
                try row.withUnsafeMutableBufferPointer { row in
                    _ = try state.combine(ExpertStep(tokens: promptWithToken.tokens, prompt: promptWithToken, baseLogits: base), into: row)
                }
            }
            #expect(abs(row[Int(token)] - expected) < 1e-5, "order \(experts.map(\.expert.name)): \(row[Int(token)]) vs \(expected)")
        }
    }

    /// The rule sets whose experts are reversed: the paper's, the paper's with its start rule, and one
    /// that mixes every kind of expert, including one that reads the base logits.
    static func ruleSets() throws -> [RuleSet] { [
        .paper,
        try RuleSet.load("paper-start"),
        RuleSet(name: "mixed", experts: [
            ExpertSpec(.tokenBias(tokens: [.text(" Name"), .text(" the")], biases: [-10, 2], unresolvable: .skip)),
            ExpertSpec(.multiplicativeRepetitionPenalty(penalty: 2, scope: .window(32))),
            ExpertSpec(.eosRamp(start: 0, end: 40, peak: 8, afterEnd: .hold)),
            ExpertSpec(.frequencyPresencePenalty(frequency: 0.3, presence: 0.4, scope: .response), weight: 1.5),
            ExpertSpec(.repetitionPenalty(penalty: 1, scope: .response, exempt: [.text("\n")]), weight: 0.5),
            ExpertSpec(.bannedStrings(["<|", "###"])),
        ]),
    ] }

    /// On both real models, greedy and sampled: the reversed product gives the same tokens.
    @Test(arguments: Models.names)
    func reversingTheExpertsChangesNoToken(model name: String) throws {
        let model = try Models.named(name)
        let instructions = ["Name three colours.", "Write a haiku about the sea.", "What is the capital of France?"]
        let samplings: [SamplingParameters] = [.greedy, SamplingParameters(temperature: 0.9, topK: 50, topP: 0.95, minP: 0.02, seed: 11)]
        for ruleSet in try Self.ruleSets() {
            let experts = try ruleSet.build(RuleBuildContext(tokenizer: model.tokenizer))
            for sampling in samplings {
                let parameters = GenerationParameters(template: .tulu, maxTokens: 32, sampling: sampling)
                var outputs: [[GenerationResult?]] = []
                for order in [experts, experts.reversed()] {
                    let generator = Generator(model: model, product: try ProductOfExperts(order, vocabulary: model.vocabulary), parameters: parameters)
                    var results = [GenerationResult?](repeating: nil, count: instructions.count)
                    try generator.generate(instructions, batchSize: instructions.count) { results[$0] = try $1.get() }
                    outputs.append(results)
                }
                for (index, (a, b)) in zip(outputs[0], outputs[1]).enumerated() {
                    #expect(a?.tokens == b?.tokens && a?.stopReason == b?.stopReason, "\(name) \(ruleSet.name) \(sampling) instruction \(index)")
                }
            }
        }
    }
}
