import Foundation

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
/// `reference` (other fields are ignored); blank lines are skipped.
public enum InstructionFile {
    public static func read(path: String) throws(BenchError) -> [BenchInstruction] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .instructionFile(path: path, line: nil, reason: "cannot be read")
        }
        return try parse(data, path: path)
    }

    public static func parse(_ data: Data, path: String) throws(BenchError) -> [BenchInstruction] {
        guard let text = String(data: data, encoding: .utf8) else {
            throw .instructionFile(path: path, line: nil, reason: "is not UTF-8 text")
        }
        var instructions: [BenchInstruction] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            let object: [String: Any]
            do {
                guard let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8), options: .fragmentsAllowed) as? [String: Any] else {
                    throw BenchError.instructionFile(path: path, line: number, reason: "is not a JSON object")
                }
                object = parsed
            } catch let error as BenchError {
                throw error
            } catch {
                throw .instructionFile(path: path, line: number, reason: "is not valid JSON")
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
