import PoE
import PoETestSupport
import Testing

@Suite struct ProductOfExpertsTests {
    let model = TableModel()
    var prompt: Prompt { Prompt(tokens: [0, 40, 41], instructionStart: 1) }

    func combined(_ experts: [WeightedExpert]) throws -> [Float] {
        let base = model.logits(after: 41)
        var logits = base
        let product = try ProductOfExperts(experts, vocabulary: model.vocabulary)
        let state = try product.start(prompt)
        try base.withUnsafeBufferPointer { base in
            try logits.withUnsafeMutableBufferPointer { row in
                _ = try state.combine(ExpertStep(tokens: prompt.tokens, prompt: prompt, baseLogits: base), into: row)
            }
        }
        return logits
    }

    @Test func weightsScaleScores() throws {
        let base = model.logits(after: 41)
        let bias = FixedExpert(name: "bias", scores: .sparse(ids: [5, 9], values: [1.5, -2]))
        let once = try combined([WeightedExpert(bias, weight: 1)])
        let twice = try combined([WeightedExpert(bias, weight: 2)])
        let negative = try combined([WeightedExpert(bias, weight: -0.5)])
        #expect(once[5] == base[5] + 1.5 && once[9] == base[9] - 2)
        #expect(twice[5] == base[5] + 3 && twice[9] == base[9] - 4)
        #expect(negative[5] == base[5] - 0.75 && negative[9] == base[9] + 1)
        #expect(once[6] == base[6])
        #expect(try combined([WeightedExpert(bias, weight: 0)]) == base)
    }

    @Test func sparseAndDenseGiveTheSameProduct() throws {
        var dense = [Float](repeating: 0, count: model.vocabulary.count)
        dense[5] = 1.5
        dense[9] = -2
        let sparse = try combined([WeightedExpert(FixedExpert(name: "s", scores: .sparse(ids: [5, 9], values: [1.5, -2])))])
        let asDense = try combined([WeightedExpert(FixedExpert(name: "d", scores: .dense(dense)))])
        #expect(sparse == asDense)
    }

    @Test func orderDoesNotMatter() throws {
        let a = WeightedExpert(FixedExpert(name: "a", scores: .sparse(ids: [3, 4], values: [1, 2])), weight: 0.5)
        let b = WeightedExpert(FixedExpert(name: "b", scores: .sparse(ids: [4, 7], values: [-1, 3])), weight: 2)
        #expect(try combined([a, b]) == combined([b, a]))
    }

    @Test func namesAreUnique() throws {
        let e = WeightedExpert(FixedExpert(name: "x", scores: .none))
        #expect(try ProductOfExperts([e, e, WeightedExpert(FixedExpert(name: "y", scores: .none))], vocabulary: model.vocabulary).names == ["x", "x#2", "y"])
    }
}

/// Products that are not distributions, and scores that do not fit, are errors that name the expert
/// and the step.
@Suite struct ProductErrorTests {
    let model = TableModel()
    let prompt = Prompt(tokens: [0, 40, 41], instructionStart: 1)

    func combine(_ experts: [WeightedExpert], base: [Float]? = nil) throws {
        let base = base ?? model.logits(after: 41)
        let state = try ProductOfExperts(experts, vocabulary: model.vocabulary).start(prompt)
        var row = [Float](repeating: 0, count: base.count)
        try base.withUnsafeBufferPointer { base in
            try row.withUnsafeMutableBufferPointer { row in
                _ = try state.combine(ExpertStep(tokens: prompt.tokens + [50, 51], prompt: prompt, baseLogits: base), into: row)
            }
        }
    }

    func fixed(_ name: String, _ scores: ExpertScores, weight: Float = 1) -> WeightedExpert {
        WeightedExpert(FixedExpert(name: name, scores: scores), weight: weight)
    }

    @Test func aBiasBeyondFloatRangeNamesTheExpertAndStep() {
        let error = #expect(throws: ProductError.self) {
            try combine([fixed("fine", .sparse(ids: [7], values: [1])), fixed("huge", .sparse(ids: [5], values: [3e38]), weight: 2)])
        }
        guard case let .nonFinite(source, step, token, value)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(source.contains("'huge'") && step == 2 && token == 5 && value == .infinity)
        #expect(error?.description.hasPrefix("step 2: expert 'huge' (weight 2.0) made token 5's score inf") == true)
    }

    @Test func aNaNInTheModelsLogitsIsBlamedOnTheModel() {
        var base = model.logits(after: 41)
        base[9] = .nan
        let error = #expect(throws: ProductError.self) { try combine([fixed("bias", .sparse(ids: [5], values: [1]))], base: base) }
        guard case let .nonFinite(source, _, token, _)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(source == "the model's logits" && token == 9)
    }

    @Test func infiniteWeightsAreRejectedWhenTheProductIsBuilt() {
        #expect(throws: ProductError.invalidWeight(expert: "x", index: 0, weight: .infinity)) {
            _ = try ProductOfExperts([fixed("x", .none, weight: .infinity)], vocabulary: model.vocabulary)
        }
        #expect(throws: ProductError.self) { _ = try ProductOfExperts([fixed("x", .none, weight: .nan)], vocabulary: model.vocabulary) }
    }

    @Test func ruledOutEverywhereIsAnError() {
        let everything = ExpertScores.dense([Float](repeating: -.infinity, count: model.vocabulary.count))
        #expect(throws: ProductError.everyTokenExcluded(step: 2, by: ["ban"])) { try combine([fixed("ban", everything)]) }
        // Minus infinity on some tokens is a ban, and fine.
        #expect(throws: Never.self) { try combine([fixed("ban", .sparse(ids: [3, 4], values: [-.infinity, -.infinity]))]) }
        // A negative weight turns a ban into +inf: an error.
        #expect(throws: ProductError.self) { try combine([fixed("ban", .sparse(ids: [3], values: [-.infinity]), weight: -1)]) }
    }

    @Test func scoresThatDoNotFitTheVocabularyAreErrors() {
        let size = model.vocabulary.count
        #expect(throws: ProductError.invalidScores(expert: "short", step: 2, problem: "gave 3 dense scores for a vocabulary of \(size) tokens")) {
            try combine([fixed("short", .dense([1, 2, 3]))])
        }
        #expect(throws: ProductError.invalidScores(expert: "zip", step: 2, problem: "gave 2 token ids but 1 scores")) {
            try combine([fixed("zip", .sparse(ids: [3, 4], values: [1]))])
        }
        #expect(throws: ProductError.invalidScores(expert: "far", step: 2, problem: "scored token id \(size), outside the vocabulary (valid ids are 0..<\(size))")) {
            try combine([fixed("far", .sparse(ids: [TokenID(size)], values: [1]))])
        }
    }

    /// A generation stops with the error instead of emitting the last token forever.
    @Test func generationStopsWithTheError() throws {
        let generator = Generator(
            model: model, product: try ProductOfExperts([fixed("huge", .sparse(ids: [5], values: [3e38]), weight: 2)], vocabulary: model.vocabulary),
            parameters: GenerationParameters(maxTokens: 5))
        #expect(throws: ProductError.self) { _ = try generator.generate("hi") }
    }
}
