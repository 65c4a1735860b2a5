import Foundation
import Testing

/// `poe bench` as a user runs it: bad instruction files, a small real run, resuming.
@Suite struct BenchCommandTests {
    static func instructionFile(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("poe-bench-\(UUID().uuidString).jsonl")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test func malformedInstructionFilesNameTheLine() throws {
        let cases = [
            ("{\"instruction\": \"a\"}\n{\"instruction\": \n", "line 2: is not valid JSON"),
            ("{\"instruction\": \"a\"}\n{\"prompt\": \"b\"}\n", "line 2: has no 'instruction' field"),
            ("", "holds no instructions"),
        ]
        for (text, message) in cases {
            let path = try Self.instructionFile(text)
            CommandLineTests.expectOneLineError(try CommandLineTests.poe("bench", "--instructions", path), containing: "\(path), \(message)".replacingOccurrences(of: ", holds", with: ": holds"))
        }
        CommandLineTests.expectOneLineError(
            try CommandLineTests.poe("bench", "--instructions", try Self.instructionFile("{\"instruction\": \"a\"}"), "--rule-sets", "none,nonesuch"),
            containing: "nonesuch")
    }

    /// A bench run in two shards on SmolLM2, merged by `poe bench merge`, has the records of the same bench
    /// run whole; merging a shard twice, or one alone, is refused with the reason.
    @Test func twoShardsMergedEqualTheUnshardedRun() throws {
        let instructions = try Self.instructionFile("""
            {"instruction": "Name a colour.", "reference": "Blue."}
            {"instruction": "What is 2 + 2?", "reference": "2 + 2 is 4."}
            {"instruction": "Say hello in French."}
            """)
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("poe-shards-\(UUID().uuidString)").path
        for (out, extra) in [("whole", []), ("one", ["--shard", "1/2"]), ("two", ["--shard", "2/2"])] {
            let run = try CommandLineTests.poe(["bench", "--model", "smollm2-135m-instruct", "--instructions", instructions, "--max-tokens", "10",
                                                "--rule-sets", "none,paper", "--batch", "2", "--out", "\(base)/\(out)"] + extra)
            #expect(run.status == 0, "\(run.errors)")
        }
        let merge = try CommandLineTests.poe("bench", "merge", "\(base)/two", "\(base)/one", "--out", "\(base)/merged")
        #expect(merge.status == 0, "\(merge.errors)")
        func generations(_ name: String) throws -> [[String: Any]] {
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(base)/\(name)/report.json"))) as? [String: Any]
            return try #require(report?["generations"] as? [[String: Any]])
        }
        let whole = try generations("whole"), merged = try generations("merged")
        #expect(try generations("one").count == 3 && generations("two").count == 3 && whole.count == 6)
        #expect(NSArray(array: merged).isEqual(to: whole), "the merged records are the unsharded run's")
        CommandLineTests.expectOneLineError(
            try CommandLineTests.poe("bench", "merge", "\(base)/one", "\(base)/one", "--out", "\(base)/twice"), containing: "it is shard 1/2, as")
        CommandLineTests.expectOneLineError(
            try CommandLineTests.poe("bench", "merge", "\(base)/one", "--out", "\(base)/alone"), containing: "shards 2/2 are missing")
        CommandLineTests.expectOneLineError(try CommandLineTests.poe("bench", "--instructions", instructions, "--shard", "3/2"), containing: "K/N")
    }

    /// Two instructions, `none`, `paper` and its ablations on SmolLM2: a complete report whose `paper`
    /// responses are what `poe generate` gives; resuming it redoes nothing, and other settings are refused.
    @Test func aSmallRealRunAndItsResume() throws {
        let instructions = try Self.instructionFile("""
            {"instruction": "Name a colour.", "reference": "Blue."}
            {"instruction": "What is 2 + 2?", "reference": "2 + 2 is 4."}
            """)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("poe-bench-\(UUID().uuidString)").path
        let run = try CommandLineTests.poe(
            "bench", "--model", "smollm2-135m-instruct", "--instructions", instructions, "--max-tokens", "12",
            "--ablate", "paper", "--batch", "3", "--out", out)
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output.contains("| paper-no-uniform | 2 |"))
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any]
        let generations = try #require(report?["generations"] as? [[String: Any]])
        #expect(report?["complete"] as? Bool == true && generations.count == 10)
        for name in ["report.md", "report.html"] { #expect(FileManager.default.fileExists(atPath: out + "/" + name)) }

        for (index, instruction) in ["Name a colour.", "What is 2 + 2?"].enumerated() {
            let generated = try CommandLineTests.poe(
                "generate", "--model", "smollm2-135m-instruct", "--rules", "paper", "--max-tokens", "12", "--json", instruction)
            let single = try JSONSerialization.jsonObject(with: Data(generated.output.utf8)) as? [String: Any]
            let record = try #require(generations.first { $0["rule_set"] as? String == "paper" && $0["index"] as? Int == index })
            #expect(record["text"] as? String == single?["text"] as? String)
            #expect(record["stop_reason"] as? String == single?["stop_reason"] as? String)
            let metrics = try #require(record["metrics"] as? [String: Any])
            #expect(metrics["reference_log_likelihood"] as? Double != nil)
        }

        let again = try CommandLineTests.poe("bench", "--resume", out)
        #expect(again.status == 0 && again.output == run.output, "nothing is redone, so the table is the same")
        CommandLineTests.expectOneLineError(
            try CommandLineTests.poe("bench", "--resume", out, "--max-tokens", "5"), containing: "--max-tokens 5 differs from the report's 12")
    }
}
