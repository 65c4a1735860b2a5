import PoE
import PoETestSupport
import Testing

@Suite struct ProductOfExpertsTests {
    let model = TableModel()
    var prompt: Prompt { Prompt(tokens: [0, 40, 41], instructionStart: 1) }

    func combined(_ experts: [WeightedExpert]) throws -> [Float] {
        var logits = model.logits(after: 41)
        let product = try ProductOfExperts(experts, vocabulary: model.vocabulary)
        let state = try product.start(prompt)
        try logits.withUnsafeMutableBufferPointer { row in
            _ = try state.apply(to: row, step: ExpertStep(tokens: prompt.tokens, prompt: prompt, baseLogits: UnsafeBufferPointer(row)))
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
