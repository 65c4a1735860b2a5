import Foundation
import PoEBench
import Testing

@Suite struct InstructionFileTests {
    func parse(_ text: String) throws(BenchError) -> [BenchInstruction] {
        try InstructionFile.parse(Data(text.utf8), path: "set.jsonl")
    }

    func error(_ text: String) -> String {
        do {
            _ = try parse(text)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func readsInstructionsAndReferences() throws {
        let items = try parse("""
            {"instruction": "Say hi.", "reference": "Hi!", "dataset": "x"}

            {"instruction": "Count to two.", "reference": null}
            {"instruction": "Name a colour."}
            """)
        #expect(items == [
            BenchInstruction(instruction: "Say hi.", reference: "Hi!"),
            BenchInstruction(instruction: "Count to two."),
            BenchInstruction(instruction: "Name a colour."),
        ])
    }

    @Test func errorsNameTheLine() {
        #expect(error("{\"instruction\": \"a\"}\n{\"instruction\": \"b\"\n") == "set.jsonl, line 2: is not valid JSON at column 20 (unexpected end of file)")
        #expect(error("{instruction: 'b'}") == "set.jsonl, line 1: is not valid JSON at column 2 (invalid value)")
        #expect(error("{\"instruction\": \"a\"}\n\n{\"prompt\": \"b\"}") == "set.jsonl, line 3: has no 'instruction' field")
        #expect(error("[1, 2]") == "set.jsonl, line 1: is not a JSON object")
        #expect(error("\"text\"") == "set.jsonl, line 1: is not a JSON object")
        #expect(error("{\"instruction\": 7}") == "set.jsonl, line 1: 'instruction' must be a non-empty string")
        #expect(error("{\"instruction\": \"\"}") == "set.jsonl, line 1: 'instruction' must be a non-empty string")
        #expect(error("{\"instruction\": \"a\", \"reference\": [\"b\"]}") == "set.jsonl, line 1: 'reference' must be a string")
        #expect(error("") == "set.jsonl: holds no instructions")
        #expect(error("\n  \n") == "set.jsonl: holds no instructions")
        #expect(throws: BenchError.instructionFile(path: "set.jsonl", line: nil, reason: "is not valid UTF-8 text (at byte 0)")) {
            try InstructionFile.parse(Data([0xFF, 0xFE, 0x00]), path: "set.jsonl")
        }
        #expect(throws: BenchError.instructionFile(path: "/nonexistent/x.jsonl", line: nil, reason: "does not exist")) {
            try InstructionFile.read(path: "/nonexistent/x.jsonl")
        }
    }

    /// Files written on Windows: CRLF line ends, and a blank CRLF line.
    @Test func crlfLines() throws {
        let items = try parse("{\"instruction\": \"Say hi.\"}\r\n\r\n{\"instruction\": \"Go.\", \"reference\": \"Gone.\"}\r\n")
        #expect(items == [BenchInstruction(instruction: "Say hi."), BenchInstruction(instruction: "Go.", reference: "Gone.")])
    }

    /// A stream (`--instructions <(...)`) reads like a file.
    @Test func streams() throws {
        var pipe: [Int32] = [0, 0]
        #expect(Foundation.pipe(&pipe) == 0)
        let text = Data("{\"instruction\": \"From a pipe.\"}\n".utf8)
        _ = text.withUnsafeBytes { Foundation.write(pipe[1], $0.baseAddress, $0.count) }
        close(pipe[1])
        defer { close(pipe[0]) }
        #expect(try InstructionFile.read(path: "/dev/fd/\(pipe[0])") == [BenchInstruction(instruction: "From a pipe.")])
    }
}
