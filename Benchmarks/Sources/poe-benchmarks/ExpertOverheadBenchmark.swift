import ArgumentParser
import Foundation
import PoE
import PoEModels
import PoERules
import PoETransformer

/// What the experts cost per token: the paper's rules against none, next to the model's own decode step.
struct ExpertOverheadBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experts",
        abstract: "Time the experts' work per token (rule sets vs none) against a decode step."
    )

    @Option(help: "A GGUF file or a known model name.") var model = "gemma-3-270m"
    @Option(help: "Rule set to measure.") var rules = "paper"
    @Option(help: "Tokens per measurement.") var steps = 300
    @Option(help: "Timed runs (the median is reported).") var runs = 5
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let transformer = try Transformer(path: ModelStore().resolve(model).path)
        let prompt = try PromptTemplate.tulu.prompt(for: "Give me three tips for staying focused while studying.", tokenizer: transformer.tokenizer)
        let session = try transformer.makeSession()
        let base = try session.append(prompt.tokens, logits: .last)
        // The response the experts are told about: a plausible run of tokens.
        let response = try transformer.tokenizer.encode(
            String(repeating: "Here are three tips: take breaks, remove distractions, and set goals. ", count: 40),
            addSpecial: false, parseSpecial: false).prefix(steps)

        let product = try ProductOfExperts(RuleSet.load(rules).build(RuleBuildContext(tokenizer: transformer.tokenizer)), vocabulary: transformer.vocabulary)
        var perRun: [Double] = []
        for _ in 0 ..< runs { perRun.append(try expertSeconds(product, prompt: prompt, base: base, response: Array(response))) }
        let perToken = perRun.sorted()[runs / 2] / Double(response.count)
        let decodePerToken = try decodeStep(transformer, prompt: prompt, response: Array(response.prefix(32)))
        let share = perToken / decodePerToken
        if json {
            try printJSONLine(ExpertOverhead(
                model: model, rules: rules, expertsSecondsPerToken: perToken, decodeSecondsPerToken: decodePerToken, shareOfDecodeStep: share))
        } else {
            print("\(model), rules '\(rules)': the experts add \(String(format: "%.1f", perToken * 1e6)) µs per token; "
                + "a decode step takes \(String(format: "%.2f", decodePerToken * 1e3)) ms; share \(String(format: "%.3f", share * 100)) %")
        }
    }

    /// The time the product takes over one generation: the base logits copied, each expert's scores added
    /// and checked, and each expert told each token.
    func expertSeconds(_ product: ProductOfExperts, prompt: Prompt, base: LogitMatrix, response: [TokenID]) throws -> Double {
        let state = try product.start(prompt)
        var tokens = prompt.tokens
        var product = [Float](repeating: 0, count: base.columns)
        var total: Duration = .zero
        for token in response {
            let start = ContinuousClock.now
            try base.values.withUnsafeBufferPointer { base in
                try product.withUnsafeMutableBufferPointer { row in
                    _ = try state.combine(ExpertStep(tokens: tokens, prompt: prompt, baseLogits: base), into: row)
                }
            }
            try state.accept(token)
            total += ContinuousClock.now - start
            tokens.append(token)
        }
        return total.seconds
    }

    /// Median seconds of one decode step (a token appended, logits for the next).
    func decodeStep(_ transformer: Transformer, prompt: Prompt, response: [TokenID]) throws -> Double {
        var times: [Double] = []
        for _ in 0 ..< runs {
            let session = try transformer.makeSession()
            _ = try session.append(prompt.tokens, logits: .none)
            for token in response {
                times.append(try ContinuousClock().measure { _ = try session.append([token], logits: .last) }.seconds)
            }
        }
        return times.sorted()[times.count / 2]
    }
}

private struct ExpertOverhead: Encodable {
    let model: String
    let rules: String
    let expertsSecondsPerToken: Double
    let decodeSecondsPerToken: Double
    let shareOfDecodeStep: Double

    enum CodingKeys: String, CodingKey {
        case model, rules
        case expertsSecondsPerToken = "experts_seconds_per_token", decodeSecondsPerToken = "decode_seconds_per_token"
        case shareOfDecodeStep = "share_of_decode_step"
    }
}
