import Foundation

/// Where a JSON text stops being JSON, as a line and column a person can find: Foundation's decoder says
/// only "not valid JSON", and its parser gives a byte offset.
package struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    /// 1-based, counted in lines and characters.
    package let line: Int
    package let column: Int
    package let problem: String

    package var description: String { "not valid JSON at line \(line), column \(column): \(problem)" }

    /// The first syntax error in `bytes`, or nil if they are one JSON value.
    package static func find(in bytes: [UInt8]) -> JSONSyntaxError? {
        if bytes.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
            return JSONSyntaxError(line: 1, column: 1, problem: bytes.isEmpty ? "the file is empty" : "there is only white space")
        }
        do {
            _ = try JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)
            return nil
        } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            // "Invalid value around character 13." or "Unexpected end of file during JSON parse."
            var offset = bytes.count
            var problem = detail.trimmingCharacters(in: CharacterSet(charactersIn: "."))
            if let range = problem.range(of: " around character ") {
                offset = min(Int(problem[range.upperBound...]) ?? offset, bytes.count)
                problem = String(problem[..<range.lowerBound])
            }
            problem = problem.replacingOccurrences(of: " during JSON parse", with: "")
            let (line, column) = position(of: offset, in: bytes)
            return JSONSyntaxError(line: line, column: column, problem: problem.prefix(1).lowercased() + problem.dropFirst())
        }
    }

    /// The line and column (in characters) of byte `offset`.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        let before = bytes[..<offset]
        let line = before.filter { $0 == 0x0A }.count + 1
        let lineStart = (before.lastIndex(of: 0x0A) ?? -1) + 1
        // Characters, not bytes: count the bytes that start a UTF-8 sequence.
        let column = before[lineStart...].filter { $0 & 0xC0 != 0x80 }.count + 1
        return (line, column)
    }
}
