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
        #expect(error("{\"instruction\": \"a\"}\n{\"instruction\": \"b\"\n") == "set.jsonl, line 2: is not valid JSON")
        #expect(error("{instruction: 'b'}") == "set.jsonl, line 1: is not valid JSON")
        #expect(error("{\"instruction\": \"a\"}\n\n{\"prompt\": \"b\"}") == "set.jsonl, line 3: has no 'instruction' field")
        #expect(error("[1, 2]") == "set.jsonl, line 1: is not a JSON object")
        #expect(error("\"text\"") == "set.jsonl, line 1: is not a JSON object")
        #expect(error("{\"instruction\": 7}") == "set.jsonl, line 1: 'instruction' must be a non-empty string")
        #expect(error("{\"instruction\": \"\"}") == "set.jsonl, line 1: 'instruction' must be a non-empty string")
        #expect(error("{\"instruction\": \"a\", \"reference\": [\"b\"]}") == "set.jsonl, line 1: 'reference' must be a string")
        #expect(error("") == "set.jsonl: holds no instructions")
        #expect(error("\n  \n") == "set.jsonl: holds no instructions")
        #expect(throws: BenchError.instructionFile(path: "set.jsonl", line: nil, reason: "is not UTF-8 text")) {
            try InstructionFile.parse(Data([0xFF, 0xFE, 0x00]), path: "set.jsonl")
        }
        #expect(throws: BenchError.instructionFile(path: "/nonexistent/x.jsonl", line: nil, reason: "cannot be read")) {
            try InstructionFile.read(path: "/nonexistent/x.jsonl")
        }
    }
}
