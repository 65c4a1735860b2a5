import ArgumentParser
import Foundation
import PoE
import PoEModels
import PoETransformer

/// What choosing a token costs on a real model's row of logits, for the sampler settings people use,
/// beside sorting the whole vocabulary (what top-k and top-p did before they took only the head).
struct SamplingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sampling",
        abstract: "Time the sampler chain per token on a model's logits, against a full sort of the row."
    )

    @Option(help: "A GGUF file or a known model name.") var model = "gemma-3-270m"
    @Option(help: "Draws per measurement.") var draws = 200
    @Option(help: "Timed runs (the median is reported).") var runs = 5

    func run() throws {
        let transformer = try Transformer(path: ModelStore().resolve(model).path)
        let prompt = try PromptTemplate.tulu.prompt(for: "Give me three tips for staying focused while studying.", tokenizer: transformer.tokenizer)
        let logits = try transformer.makeSession().append(prompt.tokens, logits: .last).values
        let settings: [(String, SamplingParameters)] = [
            ("temperature 1", SamplingParameters(temperature: 1, seed: 1)),
            ("top-k 40", SamplingParameters(temperature: 0.8, topK: 40, seed: 1)),
            ("top-p 0.9", SamplingParameters(temperature: 0.7, topP: 0.9, seed: 1)),
            ("top-k 40, top-p 0.95, min-p 0.05", SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, seed: 1)),
        ]
        print("\(model): \(logits.count) logits, µs per token (median of \(runs) runs of \(draws) draws)")
        print("| sampler | per token | sorting the whole row |")
        print("| --- | ---: | ---: |")
        let sortSeconds = try medianSeconds(runs: runs) {
            for _ in 0 ..< draws {
                let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
                if order.isEmpty { throw ValidationError("no logits") }
            }
        } / Double(draws)
        for (label, parameters) in settings {
            var sampler = Sampler(parameters)
            var sink = 0
            let seconds = medianSeconds(runs: runs) {
                for _ in 0 ..< draws { sink &+= Int(logits.withUnsafeBufferPointer { sampler.sample($0) }) }
            } / Double(draws)
            if sink == -1 { print(sink) }
            print("| \(label) | \(String(format: "%.1f", seconds * 1e6)) | \(String(format: "%.1f", sortSeconds * 1e6)) |")
        }
    }
}
