import ArgumentParser
import Foundation
import PoE
import PoEBench
import PoEModels
import PoETransformer

/// How long a vocabulary takes to tokenize a set of instructions (AlpacaEval's 805 by default).
struct TokenizeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Time tokenizing every instruction of a JSON-lines file."
    )

    @Option(help: "A GGUF file or a known model name.") var model = "gemma-3-270m"
    @Option(help: "JSON lines with an 'instruction' field.") var instructions = "../shared/data/alpaca-eval.jsonl"
    @Option(help: "Timed runs (the median is reported).") var runs = 7
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let texts = try InstructionFile.read(path: instructions).map(\.instruction)
        let tokenizer = try GGUFTokenizer(path: ModelStore().resolve(model).path)
        var tokens = 0
        _ = try texts.map { try tokenizer.encode($0, addSpecial: true, parseSpecial: false) }  // warm-up
        let seconds = try medianSeconds(runs: runs) {
            tokens = 0
            for text in texts { tokens += try tokenizer.encode(text, addSpecial: true, parseSpecial: false).count }
        }
        if json {
            try printJSONLine(TokenizeTiming(model: model, texts: texts.count, tokens: tokens, seconds: seconds))
        } else {
            print("\(model): \(texts.count) instructions, \(tokens) tokens in \(String(format: "%.4f", seconds)) s (median of \(runs))")
        }
    }
}

private struct TokenizeTiming: Encodable {
    let model: String
    let texts: Int
    let tokens: Int
    let seconds: Double
}
