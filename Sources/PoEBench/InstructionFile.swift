import Foundation
import PoE

/// One instruction of a benchmark, with a reference response when the file has one.
public struct BenchInstruction: Sendable, Equatable, Codable {
    public var instruction: String
    public var reference: String?

    public init(instruction: String, reference: String? = nil) {
        self.instruction = instruction
        self.reference = reference
    }
}

/// Instruction files: JSON lines, each an object with a string `instruction` and optionally a string
/// `reference` (other fields are ignored); blank lines are skipped, and lines may end in CRLF. The file
/// may be a stream (`--instructions <(...)`).
public enum InstructionFile {
    public static func read(path: String) throws(BenchError) -> [BenchInstruction] {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch {
            throw .instructionFile(path: path, line: nil, reason: error.reason)
        }
        return try parse(Data(bytes), path: path)
    }

    public static func parse(_ data: Data, path: String) throws(BenchError) -> [BenchInstruction] {
        guard let text = String(validating: Array(data), as: UTF8.self) else {
            throw .instructionFile(path: path, line: nil, reason: "is not valid UTF-8 text (at byte \(FileContents.firstInvalidUTF8Offset(Array(data)) ?? 0))")
        }
        var instructions: [BenchInstruction] = []
        // Split on "\n" bytes, not Characters: "\r\n" is one Character, and a file written on Windows
        // would otherwise be one line.
        for (offset, rawLine) in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            let line = Array(rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine[...])
            guard !line.allSatisfy({ [0x20, 0x09, 0x0D].contains($0) }) else { continue }
            if let syntax = JSONSyntaxError.find(in: line) {
                throw .instructionFile(path: path, line: number, reason: "is not valid JSON at column \(syntax.column) (\(syntax.problem))")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line), options: .fragmentsAllowed)) as? [String: Any] else {
                throw .instructionFile(path: path, line: number, reason: "is not a JSON object")
            }
            guard let value = object["instruction"] else {
                throw .instructionFile(path: path, line: number, reason: "has no 'instruction' field")
            }
            guard let instruction = value as? String, !instruction.isEmpty else {
                throw .instructionFile(path: path, line: number, reason: "'instruction' must be a non-empty string")
            }
            var reference: String?
            if let value = object["reference"], !(value is NSNull) {
                guard let string = value as? String else {
                    throw .instructionFile(path: path, line: number, reason: "'reference' must be a string")
                }
                reference = string
            }
            instructions.append(BenchInstruction(instruction: instruction, reference: reference))
        }
        guard !instructions.isEmpty else { throw .instructionFile(path: path, line: nil, reason: "holds no instructions") }
        return instructions
    }
}
