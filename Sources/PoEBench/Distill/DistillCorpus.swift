import Foundation
import PoE

/// The texts `poe distill` cuts in half: JSON lines with a string `text` (other fields ignored), or plain
/// text with passages separated by blank lines. A file whose first non-blank line starts with `{` is JSON
/// lines.
public enum DistillCorpus {
    /// The passages of the file at `path`; errors name the file and the line.
    public static func read(path: String) throws(DistillError) -> [String] {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch {
            throw .corpus(path: path, line: nil, reason: error.problem.description)
        }
        return try parse(bytes, path: path)
    }

    /// The passages in `bytes`; errors name `path` and the line.
    public static func parse(_ bytes: [UInt8], path: String) throws(DistillError) -> [String] {
        let text: String
        do {
            text = try FileContents.text(bytes, name: path)
        } catch {
            throw .corpus(path: path, line: nil, reason: error.problem.description)
        }
        let lines = JSONLines.lines(text)
        let firstText = lines.first { !JSONLines.isBlank($0.bytes) }?.bytes.first { ![0x20, 0x09].contains($0) }
        let passages = firstText == UInt8(ascii: "{")
            ? try JSONLines.objects(text) { DistillError.corpus(path: path, line: $0, reason: $1) }.map { (number, object) throws(DistillError) in
                guard let text = object["text"] as? String else { throw .corpus(path: path, line: number, reason: "has no string 'text' field") }
                return text
            }
            : paragraphs(lines)
        guard !passages.isEmpty else { throw .corpus(path: path, line: nil, reason: "holds no passages") }
        return passages
    }

    /// Runs of non-blank lines, each joined with newlines.
    private static func paragraphs(_ lines: [(number: Int, bytes: [UInt8])]) -> [String] {
        var passages: [String] = [], current: [String] = []
        for (_, line) in lines + [(0, [])] {
            if JSONLines.isBlank(line) {
                if !current.isEmpty { passages.append(current.joined(separator: "\n")) }
                current = []
            } else {
                current.append(String(decoding: line, as: UTF8.self))
            }
        }
        return passages
    }
}

/// What can go wrong in `poe distill`, each in one sentence that says where.
public enum DistillError: Error, Equatable, CustomStringConvertible {
    /// A corpus file that cannot be read or holds a bad line (at `line`, when known).
    case corpus(path: String, line: Int?, reason: String)
    /// An output file that cannot be written, or that a resumed run does not match.
    case output(path: String, reason: String)

    public var description: String {
        switch self {
        case let .corpus(path, line?, reason): "\(path), line \(line): \(reason)"
        case let .corpus(path, nil, reason): "\(path): \(reason)"
        case let .output(path, reason): "\(path): \(reason)"
        }
    }
}
