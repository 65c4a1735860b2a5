import ArgumentParser
import Foundation
import PoE
import PoEBench
import PoEModels
import PoETransformer

/// What streaming a long response costs per token as it grows: `StreamingDecoder` (incremental) beside
/// decoding the whole text again at each token (what it did before). Flat per-token times mean linear
/// total time.
struct StreamingBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "streaming",
        abstract: "Time streaming a long response a token at a time, per stretch of tokens."
    )

    @Option(help: "GGUF files or known model names, comma-separated.")
    var models = "gemma-3-270m,smollm2-135m-instruct,vocab-llama-bpe,vocab-gpt-2"
    @Option(help: "JSON lines with a 'reference' field; their texts joined make the response.")
    var instructions = "../shared/data/alpaca-eval.jsonl"
    @Option(help: "Tokens in the response.") var tokens = 2000
    @Option(help: "Tokens per reported stretch.") var stretch = 500
    @Option(help: "Timed runs (the median is reported).") var runs = 5

    func run() throws {
        let text = try InstructionFile.read(path: instructions).compactMap(\.reference).joined(separator: "\n\n")
        print("µs per token, median of \(runs) runs, by position in a \(tokens)-token response")
        print("| tokenizer | decoder | " + stride(from: 0, to: tokens, by: stretch).map { "\($0 + 1)–\(min($0 + stretch, tokens))" }.joined(separator: " | ") + " |")
        print("| --- | --- |" + String(repeating: " ---: |", count: (tokens + stretch - 1) / stretch))
        for name in models.split(separator: ",").map(String.init) {
            let tokenizer = try GGUFTokenizer(path: ModelStore().resolve(name).path)
            let ids = Array(try tokenizer.encode(text, addSpecial: false, parseSpecial: false).prefix(tokens))
            guard ids.count == tokens else { throw ValidationError("the texts give only \(ids.count) tokens") }
            let streamed = perToken(ids) { ids in
                var decoder = StreamingDecoder(tokenizer: tokenizer)
                return { decoder.append(ids[$0]).utf8.count }
            }
            let redecoded = perToken(ids) { ids in
                var emitted = 0
                return { index in
                    let bytes = tokenizer.decodeBytes(Array(ids[...index]))
                    defer { emitted = bytes.count }
                    return bytes.count - emitted
                }
            }
            for (label, times) in [("streaming", streamed), ("whole text again", redecoded)] {
                print("| \(name) | \(label) | " + times.map { String(format: "%.2f", $0 * 1e6) }.joined(separator: " | ") + " |")
            }
        }
    }

    /// Seconds per token in each stretch (median over runs): `make` gives a fresh step function, called
    /// once per token index in order.
    private func perToken(_ ids: [TokenID], make: ([TokenID]) -> (Int) -> Int) -> [Double] {
        var samples: [[Double]] = []
        var sink = 0
        for _ in 0 ..< runs {
            let step = make(ids)
            var stretches: [Double] = []
            for start in stride(from: 0, to: ids.count, by: stretch) {
                let end = min(start + stretch, ids.count)
                let clock = ContinuousClock.now
                for index in start ..< end { sink &+= step(index) }
                stretches.append((ContinuousClock.now - clock).seconds / Double(end - start))
            }
            samples.append(stretches)
        }
        if sink == -1 { print(sink) }  // keeps the work from being optimised away
        return samples[0].indices.map { column in samples.map { $0[column] }.sorted()[samples.count / 2] }
    }
}
