import Foundation
import Testing

/// `poe distill` with SmolLM2 as the teacher on the sample corpus: records as JSON lines, Ctrl-C leaves a
/// valid file, and --resume finishes it with exactly the records of an uninterrupted run.
@Suite struct DistillCommandTests {
    typealias CLI = CommandLineTests

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/corpus/stdlib-docstrings.txt").path

    static func arguments(_ out: String) -> [String] {
        ["distill", "--teacher", "smollm2-135m-instruct", "--corpus", corpus, "--limit", "6", "--max-tokens", "24", "--batch", "2", "--out", out]
    }

    static func records(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }.sorted { ($0["source_index"] as? Int ?? 0) < ($1["source_index"] as? Int ?? 0) }
    }

    static func temporary() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("poe-distill-\(UUID().uuidString).jsonl").path }

    @Test func interruptedAndResumedEqualsUninterrupted() throws {
        let whole = Self.temporary()
        let run = try CLI.poe(Self.arguments(whole))
        #expect(run.status == 0, "\(run.errors)")
        let expected = try Self.records(whole)
        #expect(expected.count == 6)
        for record in expected {
            let instruction = try #require(record["instruction"] as? String)
            #expect(record["teacher"] as? String == "smollm2-135m-instruct" && record["output"] is String && !instruction.isEmpty)
            #expect(instruction + " " + (record["original_continuation"] as? String ?? "") != "")
        }

        // Interrupted with SIGINT once the first record is written.
        let cut = Self.temporary()
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = Self.arguments(cut)
        process.standardError = Pipe()
        process.standardOutput = Pipe()
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline, ((try? String(contentsOfFile: cut, encoding: .utf8)) ?? "").isEmpty { usleep(20_000) }
        process.interrupt()
        process.waitUntilExit()
        let partial = try Self.records(cut)
        #expect(process.terminationStatus == 130 && partial.count < 6, "status \(process.terminationStatus), \(partial.count) records")

        let resumed = try CLI.poe(Self.arguments(cut) + ["--resume"])
        #expect(resumed.status == 0, "\(resumed.errors)")
        let finished = try Self.records(cut)
        #expect(finished.count == expected.count)
        for (a, b) in zip(finished, expected) {
            #expect(NSDictionary(dictionary: a).isEqual(to: b), "\(a) vs \(b)")
        }
        // Other settings are refused; so is overwriting without --force.
        CLI.expectOneLineError(try CLI.poe(Self.arguments(cut) + ["--resume", "--max-tokens", "30"]), containing: "was made with other settings (maxTokens was 24, now 30)")
        CLI.expectOneLineError(try CLI.poe(Self.arguments(cut)), containing: "already exists")
    }
}
