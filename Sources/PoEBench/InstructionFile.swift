import Foundation
import PoE

/// One instruction of a benchmark, with a reference response when the file has one.
public struct BenchInstruction: Sendable, Equatable, Codable {
    /// The instruction.
    public var instruction: String
    /// A reference response, if the file has one.
    public var reference: String?

    /// An instruction.
    public init(instruction: String, reference: String? = nil) {
        self.instruction = instruction
        self.reference = reference
    }
}

/// Instruction files: JSON lines, each an object with a string `instruction` and optionally a string
/// `reference` (other fields are ignored); blank lines are skipped, and lines may end in CRLF. The file
/// may be a stream (`--instructions <(...)`).
public enum InstructionFile {
    /// The instructions in the file at `path`; errors name the file and the line.
    public static func read(path: String) throws(BenchError) -> [BenchInstruction] {
        try readWithDigest(path: path).instructions
    }

    /// The instructions, and the SHA-256 of the file's bytes (read once: the file may be a stream).
    public static func readWithDigest(path: String) throws(BenchError) -> (instructions: [BenchInstruction], sha256: String) {
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch {
            throw .instructionFile(path: path, line: nil, reason: error.problem.description)
        }
        return (try parse(Data(bytes), path: path), SHA256.hex(bytes))
    }

    /// The instructions in `data`; errors name `path` and the line.
    public static func parse(_ data: Data, path: String) throws(BenchError) -> [BenchInstruction] {
        guard let text = String(validating: Array(data), as: UTF8.self) else {
            throw .instructionFile(path: path, line: nil, reason: "is not valid UTF-8 text (at byte \(FileContents.firstInvalidUTF8Offset(Array(data)) ?? 0))")
        }
        var instructions: [BenchInstruction] = []
        let objects = try JSONLines.objects(text) { BenchError.instructionFile(path: path, line: $0, reason: $1) }
        for (number, object) in objects {
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
