import Foundation
import PoE

/// The texts `poe distill` cuts in half: JSON lines with a string `text` (other fields ignored), or plain
/// text with passages separated by blank lines. A file whose first non-blank line starts with `{` is JSON
/// lines.
public enum DistillCorpus {
    public static func read(path: String) throws(DistillError) -> [String] {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch {
            throw .corpus(path: path, line: nil, reason: error.reason)
        }
        return try parse(bytes, path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws(DistillError) -> [String] {
        let text: String
        do {
            text = try FileContents.text(bytes, name: path)
        } catch {
            throw .corpus(path: path, line: nil, reason: error.reason)
        }
        // Lines split on "\n" bytes, a trailing "\r" dropped (CRLF files).
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...], as: UTF8.self)
        }
        let isBlank = { (line: String) in line.allSatisfy(\.isWhitespace) }
        let passages = lines.first(where: { !isBlank($0) })?.drop(while: \.isWhitespace).first == "{"
            ? try jsonLines(lines, path: path, isBlank: isBlank)
            : paragraphs(lines, isBlank: isBlank)
        guard !passages.isEmpty else { throw .corpus(path: path, line: nil, reason: "holds no passages") }
        return passages
    }

    private static func jsonLines(_ lines: [String], path: String, isBlank: (String) -> Bool) throws(DistillError) -> [String] {
        var passages: [String] = []
        for (offset, line) in lines.enumerated() where !isBlank(line) {
            let bytes = Array(line.utf8)
            if let syntax = JSONSyntaxError.find(in: bytes) {
                throw .corpus(path: path, line: offset + 1, reason: "is not valid JSON at column \(syntax.column) (\(syntax.problem))")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
                throw .corpus(path: path, line: offset + 1, reason: "is not a JSON object")
            }
            guard let text = object["text"] as? String else {
                throw .corpus(path: path, line: offset + 1, reason: "has no string 'text' field")
            }
            passages.append(text)
        }
        return passages
    }

    /// Runs of non-blank lines, each joined with newlines.
    private static func paragraphs(_ lines: [String], isBlank: (String) -> Bool) -> [String] {
        var passages: [String] = [], current: [String] = []
        for line in lines + [""] {
            if isBlank(line) {
                if !current.isEmpty { passages.append(current.joined(separator: "\n")) }
                current = []
            } else {
                current.append(line)
            }
        }
        return passages
    }
}

/// What can go wrong in `poe distill`, each in one sentence that says where.
public enum DistillError: Error, Equatable, CustomStringConvertible {
    case corpus(path: String, line: Int?, reason: String)
    case output(path: String, reason: String)

    public var description: String {
        switch self {
        case let .corpus(path, line?, reason): "\(path), line \(line): \(reason)"
        case let .corpus(path, nil, reason): "\(path): \(reason)"
        case let .output(path, reason): "\(path): \(reason)"
        }
    }
}
