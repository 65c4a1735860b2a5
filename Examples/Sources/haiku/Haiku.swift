import PoE
import PoEModels
import PoERules
import PoETransformer

@main
struct Haiku {
    static func main() async throws {
        OpenBLAS.restartWithFastestKernels()  // OpenBLAS's best kernels for this CPU (see below)
        let model = try Transformer(path: ModelStore().resolve("gemma-3-270m").path)
        let rules = try RuleSet.paper.build(RuleBuildContext(tokenizer: model.tokenizer))
        let generator = Generator(
            model: model,
            product: try ProductOfExperts(rules, vocabulary: model.vocabulary),
            parameters: GenerationParameters(template: .tulu, maxTokens: 200))
        for try await event in generator.stream("Write a haiku about autumn leaves.") {
            switch event {
            case let .text(chunk):
                print(chunk, terminator: "")
            case let .finished(result):
                let speed = Int(result.timings.generationTokensPerSecond)
                print("\n[\(result.stopReason.rawValue) after \(result.tokens.count) tokens, \(speed) tokens/s]")
            case .token:
                break  // one per token with `trace: true` in the parameters: why it was chosen
            }
        }
    }
}
