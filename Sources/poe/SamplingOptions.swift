import ArgumentParser
import PoE

/// How many tokens to generate and how to choose them: shared by `generate` and `distill`.
struct SamplingOptions: ParsableArguments {
    @Option(name: .customLong("max-tokens"), parsing: .unconditional, help: "Most tokens per response.") var maxTokens = 256
    @Option(parsing: .unconditional, help: "0 is greedy.") var temperature: Float = 0
    @Option(name: .customLong("top-k"), parsing: .unconditional) var topK: Int?
    @Option(name: .customLong("top-p"), parsing: .unconditional) var topP: Float?
    @Option(name: .customLong("min-p"), parsing: .unconditional) var minP: Float?
    @Option(parsing: .unconditional, help: "Seed of each response's sampling generator.") var seed: UInt64 = 0

    func validate() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1") }
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be 0 or more") }
        if let topP, !(0 ... 1).contains(topP) { throw ValidationError("--top-p must be between 0 and 1") }
        if let minP, !(0 ... 1).contains(minP) { throw ValidationError("--min-p must be between 0 and 1") }
    }

    var parameters: SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed)
    }
}
