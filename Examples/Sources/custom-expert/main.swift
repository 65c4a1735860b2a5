// Writing your own expert: a few lines make the model avoid the letter "e" (a lipogram).
//
//     swift run -c release --package-path Examples custom-expert

import Foundation
import PoE
import PoETransformer

/// Every token whose text contains "e" or "E" loses `penalty` from its log-probability.
struct AvoidTheLetterE: Expert {
    let penalised: [TokenID]
    var penalty: Float = 8
    var name: String { "avoidE" }

    init(tokenizer: some Tokenizer) {
        penalised = (0 ..< TokenID(tokenizer.vocabulary.count)).filter { tokenizer.decode([$0]).lowercased().contains("e") }
    }

    func start(_ prompt: Prompt) throws -> any ExpertState { State(scores: .sparse(ids: penalised, values: penalised.map { _ in -penalty })) }

    final class State: ExpertState {
        let fixed: ExpertScores
        init(scores: ExpertScores) { fixed = scores }
        func scores(_ step: ExpertStep) -> ExpertScores { fixed }
        func accept(_ token: TokenID) {}
    }
}

do {
    let model = try Transformer(path: ModelStore().resolve("smollm2-135m-instruct").path)
    let product = try ProductOfExperts([WeightedExpert(AvoidTheLetterE(tokenizer: model.tokenizer))], vocabulary: model.vocabulary)
    let parameters = GenerationParameters(template: .chatml, maxTokens: 80)
    for (label, generator) in [("alone", Generator(model: model, parameters: parameters)), ("avoiding e", Generator(model: model, product: product, parameters: parameters))] {
        print("[\(label)]\n\(try generator.generate("Describe a sunny day at the beach.").text)\n")
    }
} catch {
    FileHandle.standardError.write(Data("custom-expert: \(error)\n".utf8))
    exit(1)
}
