import Foundation

/// Text read as lines, as the JSON-lines files of `poe bench`, `poe distill` and `poe train` are: split on
/// "\n" bytes (not Characters: "\r\n" is one Character, and a file written on Windows would be one line), a
/// trailing "\r" dropped.
package enum JSONLines {
    /// Every line, numbered from 1, as bytes.
    package static func lines(_ text: String) -> [(number: Int, bytes: [UInt8])] {
        text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated().map { offset, line in
            (offset + 1, Array(line.last == UInt8(ascii: "\r") ? line.dropLast() : line[...]))
        }
    }

    package static func isBlank(_ line: [UInt8]) -> Bool { line.allSatisfy { [0x20, 0x09, 0x0D].contains($0) } }

    /// Each non-blank line as a JSON object; `failure(line, reason)` is the error for one that is not.
    package static func objects<E: Error>(_ text: String, failure: (Int, String) -> E) throws(E) -> [(number: Int, object: [String: Any])] {
        var objects: [(Int, [String: Any])] = []
        for (number, line) in lines(text) where !isBlank(line) {
            if let syntax = JSONSyntaxError.find(in: line) {
                throw failure(number, "is not valid JSON at column \(syntax.column) (\(syntax.problem))")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line), options: .fragmentsAllowed)) as? [String: Any] else {
                throw failure(number, "is not a JSON object")
            }
            objects.append((number, object))
        }
        return objects
    }
}
