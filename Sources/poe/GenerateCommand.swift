import ArgumentParser
import Foundation
import PoE
import PoERules
import PoETransformer

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate a response, with the base model alone or in a product with rule sets.",
        discussion: """
            Rule sets are presets (\(RuleSet.presets.map(\.name).joined(separator: ", "))) or JSON files \
            (docs/rules.md); --rules repeats to multiply several. Greedy unless --temperature is above 0.
            """
    )

    @OptionGroup var model: ModelOption
    @Option(name: .customLong("rules"), help: "A preset or a rule-set file; repeat to compose.") var rules: [String] = []
    @Option(help: "Prompt template: \(PromptTemplate.all.map(\.name).joined(separator: ", ")).") var template = "tulu"
    @OptionGroup var sampling: SamplingOptions
    @Option(name: .customLong("stop"), help: "Stop at this text; repeatable.") var stops: [String] = []
    @Option(help: "Write a JSON line per generated token: why it was chosen.") var trace: String?
    @Option(help: "Comma-separated rule sets whose responses are printed side by side, e.g. none,paper.") var compare: String?
    @Flag(help: "Print one JSON object instead of streaming text.") var json = false
    @Argument(help: "The instruction.") var instruction: String

    func validate() throws {
        guard PromptTemplate.named(template) != nil else {
            throw ValidationError("unknown template '\(template)' (one of \(PromptTemplate.all.map(\.name).joined(separator: ", ")))")
        }
        if compare != nil, !rules.isEmpty { throw ValidationError("give --rules or --compare, not both") }
    }

    var parameters: GenerationParameters {
        GenerationParameters(
            template: PromptTemplate.named(template) ?? .tulu, maxTokens: sampling.maxTokens, sampling: sampling.parameters,
            stopStrings: stops, trace: trace != nil)
    }

    func run() throws {
        let transformer = try model.load()
        if let compare {
            let names = compare.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw CommandError("--compare names no rule set (give them separated by commas, e.g. none,paper)") }
            let results = try names.map { name in
                try Generator(model: transformer, product: product([name], for: transformer), parameters: parameters).generate(instruction)
            }
            if json {
                print(try jsonLine(zip(names, results).map { GenerationJSON($1, ruleSet: $0) }))
            } else {
                printSideBySide(zip(names, results.map(\.text)).map { ($0, $1) })
            }
            return
        }
        let generator = Generator(model: transformer, product: try product(rules, for: transformer), parameters: parameters)
        let traceFile = try trace.map(TraceWriter.init(path:))
        var failure: (any Error)?
        let result = try generator.generate(instruction) { event in
            guard failure == nil else { return }
            do {
                switch event {
                case let .text(text) where !json:
                    try writeStandardOutput(text)
                case let .token(record):
                    try traceFile?.write(record)
                default:
                    break
                }
            } catch {
                failure = error
            }
        }
        if let failure { throw CommandError("cannot write the output: \(failure.localizedDescription)") }
        if json {
            print(try jsonLine(GenerationJSON(result)))
        } else {
            print()
        }
    }

    /// The product of every named rule set, built for this model.
    func product(_ names: [String], for transformer: Transformer) throws -> ProductOfExperts {
        try PoECommandLine.product(of: names.map(RuleSet.load), for: transformer)
    }

    func printSideBySide(_ columns: [(title: String, text: String)]) {
        let total = Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 120
        let width = max(20, (total - 3 * (columns.count - 1)) / max(columns.count, 1))
        let wrapped = columns.map { [$0.title, String(repeating: "─", count: width)] + wrap($0.text, width: width) }
        for row in 0 ..< (wrapped.map(\.count).max() ?? 0) {
            let cells = wrapped.map { lines in
                let line = row < lines.count ? lines[row] : ""
                return line + String(repeating: " ", count: max(0, width - line.count))
            }
            print(cells.joined(separator: " │ ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
    }
}

/// Text broken into lines of at most `width` characters, at spaces where possible.
func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
        var line = ""
        for word in paragraph.split(separator: " ", omittingEmptySubsequences: false) {
            var word = Substring(word)
            while word.count > width {
                if !line.isEmpty { lines.append(line); line = "" }
                lines.append(String(word.prefix(width)))
                word = word.dropFirst(width)
            }
            if line.isEmpty {
                line = String(word)
            } else if line.count + 1 + word.count <= width {
                line += " " + word
            } else {
                lines.append(line)
                line = String(word)
            }
        }
        lines.append(line)
    }
    return lines
}

/// `poe generate --json` (and each rule set's entry of `--compare ... --json`).
struct GenerationJSON: Encodable {
    let ruleSet: String?
    let text: String
    let tokens: Int
    let promptTokens: Int
    let stopReason: String
    let timings: GenerationTimings

    init(_ result: GenerationResult, ruleSet: String? = nil) {
        self.ruleSet = ruleSet
        text = result.text
        tokens = result.tokens.count
        promptTokens = result.promptTokens
        stopReason = result.stopReason.rawValue
        timings = result.timings
    }

    enum CodingKeys: String, CodingKey {
        case text, tokens, timings
        case ruleSet = "rule_set", promptTokens = "prompt_tokens", stopReason = "stop_reason"
    }
}

/// Writes trace records as JSON lines, each as soon as its token is chosen (so a run that fails or is
/// interrupted leaves every record before it).
final class TraceWriter {
    private let handle: FileHandle
    private let encoder = JSONEncoder()

    init(path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CommandError("--trace \(path) is a directory; give a file name")
        }
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path)
        else {
            throw CommandError("cannot create the trace file \(path)")
        }
        self.handle = handle
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    func write(_ record: TraceRecord) throws {
        try handle.write(contentsOf: try encoder.encode(record) + Data("\n".utf8))
    }

    deinit { try? handle.close() }
}
