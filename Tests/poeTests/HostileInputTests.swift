import Foundation
import Testing

/// What a hostile (or unlucky) user does to `poe`, each case a defect once: one sentence on stderr and a
/// non-zero exit, never a crash or a hang, and no option silently ignored.
@Suite struct HostileInputTests {
    typealias CLI = CommandLineTests

    /// Runs `script` in bash with `$POE` set to the built executable, killing it after `seconds`.
    static func shell(_ script: String, seconds: Double = 60) throws -> (result: CLI.Result, timedOut: Bool) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.environment = ProcessInfo.processInfo.environment.merging(["POE": CLI.executable.path]) { $1 }
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        return (CLI.Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                           errors: String(decoding: errorData, as: UTF8.self)), timedOut)
    }

    static func temporaryPath(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("poe-hostile-\(UUID().uuidString)\(suffix)").path
    }

    @Test func closedStandardInput() throws {
        let (result, _) = try Self.shell(#""$POE" tokenize --model smollm2-135m-instruct - <&-"#)
        CLI.expectOneLineError(result, containing: "standard input: is closed")
    }

    @Test func aFIFOAsTheModelDoesNotHang() throws {
        let path = Self.temporaryPath(".gguf")
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let (result, timedOut) = try Self.shell(#""$POE" inspect "\#(path)""#, seconds: 30)
        #expect(!timedOut)
        CLI.expectOneLineError(result, containing: "it is a pipe (FIFO), not a regular file")
    }

    @Test func aHugeBatchIsRefusedBeforeAllocating() throws {
        CLI.expectOneLineError(try CLI.poe("speed", "--model", "smollm2-135m-instruct", "--batch", "100000"), containing: "GiB of memory, but only")
    }

    @Test func moreThreadsThanCoresAreCapped() throws {
        let result = try CLI.poe(
            "speed", "--model", "smollm2-135m-instruct", "--threads", "1000", "--prompt-tokens", "4", "--gen-tokens", "2",
            "--repetitions", "1", "--no-warmup", "--json")
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.errors.contains("--threads 1000 is more than the"))
        let report = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        #expect(report?["threads"] as? Int == ProcessInfo.processInfo.activeProcessorCount)
    }

    @Test func negativeNumbersAreValidatedNotMistakenForOptions() throws {
        let result = try CLI.poe("generate", "--max-tokens", "-1", "hi")
        #expect(result.status != 0 && result.errors.contains("--max-tokens must be at least 1"), "\(result.errors)")
    }

    @Test func compareOptions() throws {
        CLI.expectOneLineError(try CLI.poe("generate", "--model", "smollm2-135m-instruct", "--compare", ",", "hi"), containing: "--compare names no rule set")
        let result = try CLI.poe("generate", "--model", "smollm2-135m-instruct", "--max-tokens", "3", "--compare", "none,paper", "--json", "hi")
        #expect(result.status == 0, "\(result.errors)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
        #expect(rows.compactMap { $0["rule_set"] as? String } == ["none", "paper"])
        #expect(rows.allSatisfy { $0["text"] is String && $0["tokens"] as? Int == 3 })
    }

    /// Rule files as streams, directories as rule files, overflowing weights: clear errors, or it works.
    @Test func ruleFiles() throws {
        let streamed = try Self.shell(#""$POE" generate --model smollm2-135m-instruct --max-tokens 2 --rules <(echo '{"experts": [{"type": "eosRamp"}]}') hi"#).result
        #expect(streamed.status == 0, "\(streamed.errors)")
        CLI.expectOneLineError(try CLI.poe("generate", "--rules", FileManager.default.temporaryDirectory.path, "hi"), containing: "is a directory, not a file")
        let huge = Self.temporaryPath(".json")
        try Data(#"{"experts": [{"type": "tokenBias", "weight": 2, "tokens": [{"text": "\n", "bias": 3e38}]}]}"#.utf8).write(to: URL(fileURLWithPath: huge))
        let trace = Self.temporaryPath(".jsonl")
        CLI.expectOneLineError(
            try CLI.poe("generate", "--model", "smollm2-135m-instruct", "--rules", huge, "--trace", trace, "hi"),
            containing: "step 0: expert 'tokenBias' (weight 2.0) made token")
        let weight = Self.temporaryPath(".json")
        try Data(#"{"experts": [{"type": "eosRamp", "weight": 1e39}]}"#.utf8).write(to: URL(fileURLWithPath: weight))
        CLI.expectOneLineError(try CLI.poe("generate", "--model", "smollm2-135m-instruct", "--rules", weight, "hi"), containing: "beyond the range of a 32-bit float")
        CLI.expectOneLineError(try CLI.poe("generate", "--model", "smollm2-135m-instruct", "--trace", FileManager.default.temporaryDirectory.path, "hi"), containing: "is a directory")
    }
}

/// `poe bench` with files it did not expect: CRLF lines, an instruction longer than the context, a report
/// that was edited, a directory that is a file or is being written by another run.
@Suite struct HostileBenchTests {
    typealias CLI = CommandLineTests

    static func bench(_ arguments: String...) throws -> CLI.Result {
        try CLI.poe(["bench", "--model", "smollm2-135m-instruct", "--max-tokens", "3", "--rule-sets", "none"] + arguments)
    }

    static func file(_ text: String) throws -> String {
        let path = HostileInputTests.temporaryPath(".jsonl")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func report(_ directory: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/report.json"))) as? [String: Any])
    }

    static func editReport(_ directory: String, _ edit: (inout [[String: Any]]) -> Void) throws {
        var report = try Self.report(directory)
        var records = try #require(report["generations"] as? [[String: Any]])
        edit(&records)
        report["generations"] = records
        try JSONSerialization.data(withJSONObject: report).write(to: URL(fileURLWithPath: directory + "/report.json"))
    }

    /// CRLF lines read; an instruction longer than the context is a failed record, the others are answered,
    /// and the report is complete (so --resume has nothing left to do).
    @Test func crlfAndAnInstructionLongerThanTheContext() throws {
        let long = String(repeating: "word ", count: 9000)
        let instructions = try Self.file("{\"instruction\": \"Say hi.\"}\r\n{\"instruction\": \"\(long)\"}\r\n{\"instruction\": \"Count.\"}\r\n")
        let out = HostileInputTests.temporaryPath("")
        let run = try Self.bench("--instructions", instructions, "--out", out)
        #expect(run.status == 0, "\(run.errors)")
        #expect(run.output.contains("| none | 2 (1 failed) |"), "\(run.output)")
        let report = try Self.report(out)
        #expect(report["complete"] as? Bool == true)
        let records = try #require(report["generations"] as? [[String: Any]])
        #expect((records[1]["error"] as? String)?.contains("but the context holds 8192") == true)
        #expect(records[0]["error"] == nil && records[0]["stop_reason"] as? String == "length")
        let again = try CLI.poe("bench", "--resume", out)
        #expect(again.status == 0 && again.output == run.output)
    }

    /// A record deleted from report.json is generated again; a duplicated one, or one holding token ids
    /// outside the vocabulary, is refused with a sentence naming it.
    @Test func resumeChecksTheReport() throws {
        let instructions = try Self.file("{\"instruction\": \"Say hi.\"}\n{\"instruction\": \"Count.\"}\n")
        let out = HostileInputTests.temporaryPath("")
        #expect(try Self.bench("--instructions", instructions, "--out", out).status == 0)
        let original = try Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))

        try Self.editReport(out) { $0.removeLast() }
        let resumed = try CLI.poe("bench", "--resume", out)
        #expect(resumed.status == 0, "\(resumed.errors)")
        let records = try #require(try Self.report(out)["generations"] as? [[String: Any]])
        #expect(records.count == 2 && records.allSatisfy { $0["stop_reason"] is String })

        try original.write(to: URL(fileURLWithPath: out + "/report.json"))
        try Self.editReport(out) { $0.append($0[0]) }
        CLI.expectOneLineError(try CLI.poe("bench", "--resume", out), containing: "the record of 'none' for instruction 1 appears twice")

        try original.write(to: URL(fileURLWithPath: out + "/report.json"))
        try Self.editReport(out) { $0[1]["tokens"] = [1, 99_999_999] }
        CLI.expectOneLineError(try CLI.poe("bench", "--resume", out), containing: "holds token id 99999999, outside the model's vocabulary")
    }

    @Test func theOutputDirectory() throws {
        let instructions = try Self.file("{\"instruction\": \"Say hi.\"}\n")
        let file = try Self.file("not a directory")
        CLI.expectOneLineError(try Self.bench("--instructions", instructions, "--out", file), containing: "it is a file, not a directory")
        let out = HostileInputTests.temporaryPath("")
        #expect(try Self.bench("--instructions", instructions, "--out", out).status == 0)
        CLI.expectOneLineError(try Self.bench("--instructions", instructions, "--out", out), containing: "already holds a report")
        #expect(try Self.bench("--instructions", instructions, "--out", out, "--force").status == 0)
        // Another run holds the directory's lock.
        let lock = open(out + "/.poe-bench.lock", O_RDWR)
        defer { close(lock) }
        #expect(flock(lock, LOCK_EX | LOCK_NB) == 0)
        CLI.expectOneLineError(try CLI.poe("bench", "--resume", out), containing: "another poe bench is writing this report")
    }
}
