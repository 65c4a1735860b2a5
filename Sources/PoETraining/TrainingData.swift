import Foundation
import PoE

/// How a training file's records become sequences, and where the loss is taken.
public enum TrainingFormat: String, Sendable, Codable, CaseIterable {
    /// `output` alone after BOS (response tuning): loss on the response and its EOS.
    case response
    /// `instruction` through the template, then `output`: loss on the output and its EOS only.
    case instruction
    /// `text` after BOS: loss on every token, EOS included.
    case text
}

/// One training sequence: its tokens, and the first token the loss is taken on (positions before it are
/// context only).
public struct TrainingExample: Sendable, Equatable, Codable {
    /// The sequence's tokens.
    public let tokens: [TokenID]
    /// The index of the first token the loss is taken on.
    public let lossStart: Int

    /// An example whose loss starts at `lossStart`.
    public init(tokens: [TokenID], lossStart: Int) {
        self.tokens = tokens
        self.lossStart = lossStart
    }

    /// The model's input (every token but the last) and each position's target (the next token, where
    /// the loss is taken).
    var input: [TokenID] { Array(tokens.dropLast()) }
    var targets: [TokenID?] { (1 ..< tokens.count).map { $0 >= lossStart ? tokens[$0] : nil } }
    /// Tokens the loss is taken on.
    var lossTokens: Int { tokens.count - lossStart }
}

/// Reads JSON-lines training files.
public enum TrainingData {
    /// The examples of the file, each cut to `maxLength` tokens; records with nothing left to learn after
    /// the cut are counted in `skipped`.
    public static func read(
        path: String, format: TrainingFormat, tokenizer: some Tokenizer, template: PromptTemplate, maxLength: Int
    ) throws(TrainingError) -> (examples: [TrainingExample], skipped: Int) {
        let text: String
        do {
            text = try FileContents.readText(path)
        } catch {
            throw .data(path: path, line: nil, reason: error.problem.description)
        }
        let objects = try JSONLines.objects(text) { TrainingError.data(path: path, line: $0, reason: $1) }
        let vocabulary = tokenizer.vocabulary
        var examples: [TrainingExample] = [], skipped = 0
        for (line, object) in objects {
            func field(_ name: String) throws(TrainingError) -> String {
                guard let value = object[name] as? String else {
                    throw .data(path: path, line: line, reason: "has no string '\(name)' field (format \(format.rawValue))")
                }
                return value
            }
            let example: TrainingExample
            do {
                let eos = vocabulary.eos.map { [$0] } ?? []
                let bos = vocabulary.bos.map { [$0] } ?? []
                switch format {
                case .response:
                    let output = try tokenizer.encode(try field("output"), addSpecial: false, parseSpecial: false)
                    example = TrainingExample(tokens: bos + output + eos, lossStart: bos.count)
                case .instruction:
                    let prompt = try template.prompt(for: try field("instruction"), tokenizer: tokenizer)
                    let output = try tokenizer.encode(try field("output"), addSpecial: false, parseSpecial: false)
                    example = TrainingExample(tokens: prompt.tokens + output + eos, lossStart: prompt.tokens.count)
                case .text:
                    let tokens = try tokenizer.encode(try field("text"), addSpecial: false, parseSpecial: false)
                    example = TrainingExample(tokens: bos + tokens + eos, lossStart: bos.count)
                }
            } catch let error as TrainingError {
                throw error
            } catch {
                throw .data(path: path, line: line, reason: "cannot be tokenized (\(error))")
            }
            let cut = TrainingExample(tokens: Array(example.tokens.prefix(maxLength)), lossStart: max(example.lossStart, 1))
            if cut.tokens.count <= cut.lossStart { skipped += 1 } else { examples.append(cut) }
        }
        guard !examples.isEmpty else { throw .data(path: path, line: nil, reason: "holds no example with anything to learn within \(maxLength) tokens") }
        return (examples, skipped)
    }
}

/// What can go wrong in training, each in one sentence that says where.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// A training file that cannot be read or holds a bad record (at `line`, when known).
    case data(path: String, line: Int?, reason: String)
    /// A checkpoint that cannot be written or read, or does not fit the run.
    case checkpoint(path: String, reason: String)
    /// Settings that do not make a run.
    case settings(String)

    public var description: String {
        switch self {
        case let .data(path, line?, reason): "\(path), line \(line): \(reason)"
        case let .data(path, nil, reason): "\(path): \(reason)"
        case let .checkpoint(path, reason): "\(path): \(reason)"
        case let .settings(reason): reason
        }
    }
}
