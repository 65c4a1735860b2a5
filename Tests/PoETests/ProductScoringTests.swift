import PoE
import PoETestSupport
import Testing

/// A closure is an expert, and a product can be read for a given continuation as plain arrays.
@Suite struct ProductScoringTests {
    let model = TableModel()
    let prompt = Prompt(tokens: [0, 40, 41], instructionStart: 1)

    /// A function expert scores each step from what it sees: here the number of response tokens so far.
    @Test func aFunctionExpertScoresFromTheStep() throws {
        let counting = FunctionExpert("count") { step in .sparse(ids: [5], values: [Float(step.generatedCount)]) }
        let product = try ProductOfExperts([WeightedExpert(counting, weight: 2)], vocabulary: model.vocabulary)
        let steps = try product.score([7, 8, 9], after: prompt, model: model)
        #expect(steps.map(\.token) == [7, 8, 9])
        for (i, step) in steps.enumerated() {
            let previous: TokenID = i == 0 ? 41 : [7, 8, 9][i - 1]
            var expected = model.logits(after: previous)
            #expect(step.baseLogits == expected)
            expected[5] += 2 * Float(i)
            #expect(step.productLogits == expected)
            #expect(step.expertScores.map { $0.score(of: 5) } == [Float(i)])
        }
    }

    /// The scores agree with what generation chooses: greedy generation's tokens are, at each step,
    /// the product's most likely token, with the log-probability its trace recorded.
    @Test func scoringAGeneratedResponseGivesWhatGenerationSaw() throws {
        let ruleOut = FunctionExpert("no-e") { _ in .sparse(ids: [TokenID(72)], values: [-.infinity]) }  // "e"
        let product = try ProductOfExperts([WeightedExpert(ruleOut)], vocabulary: model.vocabulary)
        let result = try Generator(model: model, product: product, parameters: GenerationParameters(template: .raw, maxTokens: 12, trace: true))
            .generate("ab")
        let prompt = try PromptTemplate.raw.prompt(for: "ab", tokenizer: model.tokenizer)
        let steps = try product.score(result.tokens, after: prompt, model: model)
        #expect(steps.count == result.tokens.count)
        for (step, record) in zip(steps, result.trace) {
            #expect(step.productLogits.withUnsafeBufferPointer(argmax) == step.token)
            #expect(step.productLogits[72] == -.infinity)
            #expect(step.tokenLogProbability == record.finalLogProbability)
            #expect(step.baseTokenLogProbability == record.baseLogProbability)
        }
    }

    /// A continuation that does not fit, or holds an id outside the vocabulary, is an error.
    @Test func badContinuationsAreErrors() throws {
        #expect(throws: LanguageModelError.tokenOutOfRange(id: 999, index: 4, vocabularySize: model.vocabulary.count)) {
            try ProductOfExperts.none.score([7, 999], after: prompt, model: model)
        }
        let small = TableModel(contextLength: 4)
        #expect(throws: LanguageModelError.contextFull(needed: 5, capacity: 4)) {
            try ProductOfExperts.none.score([7, 8], after: prompt, model: small)
        }
    }
}
