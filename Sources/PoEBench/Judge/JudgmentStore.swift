import Foundation
import PoE

/// One question put to a judge, in one order, and its answer: a line of a bench's `judgments.jsonl`.
public struct Judgment: Sendable, Codable, Equatable {
    /// Names the question: the judge model, the prompt's version, the instruction and both texts in order.
    public var key: String
    /// The judge model's name.
    public var judgeModel: String
    /// The version of the judge prompt's wording.
    public var promptVersion: Int
    /// The instruction (from 0) and what was shown as A and as B: a rule set's name or "reference".
    public var index: Int
    /// What was shown as A.
    public var first: String
    /// What was shown as B.
    public var second: String
    /// The judge's answer.
    public var answer: JudgeAnswer
    /// The probability the judge gave A over B; nil when its answer read as neither (unparseable).
    public var firstProbability: Double?

    /// A judgment; `firstProbability` is read from the answer.
    public init(key: String, judgeModel: String, index: Int, first: String, second: String, answer: JudgeAnswer) {
        self.key = key
        self.judgeModel = judgeModel
        promptVersion = JudgePrompt.version
        self.index = index
        self.first = first
        self.second = second
        self.answer = answer
        firstProbability = JudgePrompt.firstProbability(answer)
    }

    /// The key of the question "which of `first` and `second` follows `instruction` better", asked of
    /// `judgeModel` with this prompt version.
    public static func key(judgeModel: String, instruction: String, first: String, second: String) -> String {
        SHA256.hex([judgeModel, "\(JudgePrompt.version)", instruction, first, second].joined(separator: "\u{0}"))
    }

    enum CodingKeys: String, CodingKey {
        case key, index, first, second, answer
        case judgeModel = "judge_model", promptVersion = "prompt_version", firstProbability = "first_probability"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(judgeModel, forKey: .judgeModel)
        try c.encode(promptVersion, forKey: .promptVersion)
        try c.encode(index, forKey: .index)
        try c.encode(first, forKey: .first)
        try c.encode(second, forKey: .second)
        try c.encode(answer, forKey: .answer)
        try c.encode(firstProbability, forKey: .firstProbability)  // null when unparseable, written out
    }
}

/// A bench's judgments, kept in `judgments.jsonl` beside its report, so that `--resume` and judging again
/// ask only what has not been asked (of this judge, in these words, about these texts).
public struct JudgmentStore: Sendable {
    /// `judgments.jsonl`'s location.
    public let url: URL
    /// The judgments by key.
    public private(set) var judgments: [String: Judgment] = [:]

    /// `judgments.jsonl` in a report's directory.
    public static func fileURL(in directory: URL) -> URL { directory.appendingPathComponent("judgments.jsonl") }

    /// The judgments the directory holds (none if it has no file). A last line cut short (a run stopped
    /// while writing it) is dropped; any other line that is not a judgment is an error naming it.
    public init(directory: URL) throws(BenchError) {
        url = Self.fileURL(in: directory)
        guard FileManager.default.fileExists(atPath: url.path) else { return }
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(url.path)
        } catch {
            throw .report(path: url.path, reason: error.problem.description)
        }
        let lines = JSONLines.lines(String(decoding: bytes, as: UTF8.self))
        let decoder = BenchJSON.decoder()
        for (number, line) in lines where !JSONLines.isBlank(line) {
            do {
                let judgment = try decoder.decode(Judgment.self, from: Data(line))
                judgments[judgment.key] = judgment
            } catch {
                if number == lines.count, bytes.last != UInt8(ascii: "\n") { break }
                throw .report(path: url.path, reason: "line \(number) is not a judgment poe bench wrote")
            }
        }
    }

    /// Adds a judgment, appending it to the file at once.
    public mutating func add(_ judgment: Judgment) throws {
        var line = try BenchJSON.encoder(pretty: false).encode(judgment)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: url.path) {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
        judgments[judgment.key] = judgment
    }

    /// Adds judgments read elsewhere (another shard's) that this store does not hold.
    public mutating func merge(_ other: JudgmentStore) throws {
        for key in other.judgments.keys.sorted() where judgments[key] == nil {
            if let judgment = other.judgments[key] { try add(judgment) }
        }
    }
}
