import PoE
import PoEBench
import PoERules
import PoETestSupport
import Testing

/// Teacher-forced scoring on the table model, against the same sums done by hand.
@Suite struct ReferenceLikelihoodTests {
    let model = TableModel()

    func logSoftmax(_ logits: [Float], _ token: TokenID) -> Double {
        Double(logits[Int(token)] - logits.withUnsafeBufferPointer { logSumExp($0) })
    }

    /// Reference "cdc" after prompt "ab", then EOS: the base alone, and with a repetition penalty that must
    /// see each reference token as if chosen. Chunks of 2 cross the reference's tokens.
    @Test(arguments: [1, 2, 64])
    func meansMatchHandComputation(chunkSize: Int) throws {
        let tokens = try model.tokenizer.encode("cdc", addSpecial: false, parseSpecial: false) + [1]
        let prompt = try PromptTemplate.raw.prompt(for: "ab", tokenizer: model.tokenizer)
        let penalty = RuleSet(name: "p", experts: [ExpertSpec(.repetitionPenalty(penalty: 2, scope: .instruction, exempt: []))])
        let products = try [ProductOfExperts.none, ProductOfExperts(penalty.build(RuleBuildContext(tokenizer: model.tokenizer)), vocabulary: model.vocabulary)]
        var scorer = ReferenceLikelihood(model: model, template: .raw)
        scorer.chunkSize = chunkSize
        let (means, count) = try scorer.score(instruction: "ab", reference: "cdc", index: 0, products: products)
        #expect(count == 4)

        var base = 0.0, penalized = 0.0
        var sequence = prompt.tokens
        for token in tokens {
            let logits = model.logits(after: sequence.last)
            base += logSoftmax(logits, token)
            var changed = logits
            for seen in Set(sequence[prompt.instructionStart...]) { changed[Int(seen)] -= 2 }
            penalized += logSoftmax(changed, token)
            sequence.append(token)
        }
        #expect(abs(means[0] - base / 4) < 1e-6 && abs(means[1] - penalized / 4) < 1e-6, "\(means) vs \([base / 4, penalized / 4])")
        #expect(means[1] < means[0], "the reference repeats 'c', which the penalty makes less likely")
    }

    @Test func aReferenceLongerThanTheContextIsAnError() {
        let scorer = ReferenceLikelihood(model: TableModel(contextLength: 6), template: .raw)
        #expect(throws: BenchError.referenceTooLong(instruction: 2, tokens: 3 + 6, capacity: 6)) {
            try scorer.score(instruction: "ab", reference: "abcde", index: 2, products: [.none])
        }
    }
}
