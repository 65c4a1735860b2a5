import PoE
import PoEModels
import PoETransformer

/// Rules out the token chosen last: an expert with state, told each choice.
struct NoImmediateRepeats: Expert {
    var name: String { "noImmediateRepeats" }

    func start(_ prompt: Prompt) -> any ExpertState { State() }

    final class State: ExpertState {
        var last: TokenID?

        func scores(_ step: ExpertStep) -> ExpertScores {
            guard let last else { return .none }
            return .sparse(ids: [last], values: [-.infinity])
        }

        func accept(_ token: TokenID) { last = token }
    }
}

@main
struct Lipogram {
    static func main() async throws {
        OpenBLAS.restartWithFastestKernels()
        let model = try Transformer(path: ModelStore().resolve("smollm2-135m-instruct").path)
        // Stateless: every token whose text holds an "e" loses 8 from its log-probability.
        let withE = (0 ..< TokenID(model.vocabulary.count)).filter { model.tokenizer.decode([$0]).lowercased().contains("e") }
        let penalties = [Float](repeating: -8, count: withE.count)
        let avoidE = FunctionExpert("avoidE") { _ in .sparse(ids: withE, values: penalties) }
        let product = try ProductOfExperts(
            [WeightedExpert(avoidE), WeightedExpert(NoImmediateRepeats())], vocabulary: model.vocabulary)
        let parameters = GenerationParameters(template: .chatml, maxTokens: 80)
        for (label, experts) in [("alone", ProductOfExperts.none), ("avoiding e", product)] {
            let result = try Generator(model: model, product: experts, parameters: parameters)
                .generate("Describe a sunny day at the beach.")
            print("[\(label)]\n\(result.text)\n")
        }
    }
}
