import Foundation
import PoE
import PoEBench
import PoERules
import PoETestSupport
import Testing

@Suite struct ReportTests {
    /// Four hand-made responses of one rule set, and the summary they must give.
    @Test func summaryOfHandMadeRecords() throws {
        var report = BenchReport(
            configuration: BenchConfiguration(model: "m", instructions: "i.jsonl", template: "tulu", maxTokens: 10, limit: nil),
            ruleSets: [RuleSet(name: "r", experts: [])],
            instructions: ["Say hi", "Say bye", "Count", "Name it"].map { BenchInstruction(instruction: $0, reference: "x") })
        let responses: [(String, Int, StopReason)] = [
            ("Say hi to you", 3, .endOfGeneration),  // echoes "say hi"
            ("a b a b a b", 10, .length),  // 4-grams abab baba abab: 1 of 3 repeated
            ("one two\n<|user|>", 5, .endOfGeneration),  // leaks a turn
            ("fine", 8, .endOfGeneration),
        ]
        for (i, (text, length, stop)) in responses.enumerated() {
            report.records[i].record(GenerationResult(
                text: text, tokens: Array(repeating: 5, count: length), stopToken: nil, promptTokens: 4, stopReason: stop,
                timings: GenerationTimings(promptSeconds: 0, generationSeconds: 0, promptTokensPerSecond: 0, generationTokensPerSecond: 0),
                trace: []))
        }
        for (i, value) in [-1.0, -2.0, -4.5].enumerated() { report.records[i].metrics.referenceLogLikelihood = value }
        report.ruleSets[0].generationSeconds = 2
        report.ruleSets[0].generatedTokens = 26
        report.summarize()
        let s = try #require(report.summary.first)
        #expect(s.generated == 4 && s.scored == 3)
        #expect(s.terminationRate == 0.75)
        #expect(s.meanLength == 6.5 && s.medianLength == 6.5)
        #expect(s.echoRate == 0.25 && s.turnLeakRate == 0.25)
        // Only "a b a b a b" and "Say hi to you" have four words: 1/3 and 0.
        #expect(s.selfRepetition == (1.0 / 3.0 + 0) / 2)
        // Bigrams: say-hi hi-to to-you | ab ba ab ba ab | one-two two-user: 10, distinct 3 + 2 + 2 = 7.
        #expect(s.distinct2 == 0.7)
        #expect(s.referenceLogLikelihood == -2.5)
        #expect(s.tokensPerSecond == 13)
        #expect(!report.complete, "one reference is not scored yet")
    }

    func sampleReport() -> BenchReport {
        var report = BenchReport(
            configuration: BenchConfiguration(model: "gemma", instructions: "/x/set.jsonl", template: "tulu", maxTokens: 10, limit: 2),
            ruleSets: [RuleSet.none, RuleSet(name: "a|b", experts: [])],
            instructions: [BenchInstruction(instruction: "Why <b>?"), BenchInstruction(instruction: "Two")])
        report.records[0].record(GenerationResult(
            text: "Because | line\nnext <i>", tokens: [1, 2], stopToken: nil, promptTokens: 3, stopReason: .length,
            timings: GenerationTimings(promptSeconds: 0, generationSeconds: 0, promptTokensPerSecond: 0, generationTokensPerSecond: 0), trace: []))
        report.summarize()
        return report
    }

    @Test func markdownHasTheTableThenResponsesSideBySide() {
        let markdown = MarkdownReport.render(sampleReport(), command: "poe bench --limit 2")
        let lines = markdown.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("| rule set | responses | termination | mean length |") })
        #expect(lines.contains { $0.hasPrefix("| none | 1 | 0.0 % | 2.0 | 2.0 |") })
        #expect(lines.contains { $0.hasPrefix("| a\\|b | 0 | – |") })
        #expect(lines.contains("### 1. Why &lt;b&gt;?"))
        #expect(lines.contains("| none | a\\|b |"))
        #expect(lines.contains("| *length, 2 tokens*<br>Because \\| line<br>next &lt;i&gt; | *(not generated yet)* |"))
        #expect(markdown.contains("(partial: the run was interrupted)") && markdown.contains("poe bench --limit 2"))
    }

    @Test func htmlIsOneSelfContainedPage() {
        let html = HTMLReport.render(sampleReport())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<table class=\"summary\">") && html.components(separatedBy: "<svg").count - 1 == 9)
        #expect(html.contains("Because | line\nnext &lt;i&gt;") && html.contains("Why &lt;b&gt;?"))
        for external in ["<script", "<link", "src=", "url(", "@import"] { #expect(!html.contains(external), "\(external)") }
    }

    /// The files are written whole and read back; a directory without a report is a clear error.
    @Test func filesRoundTrip() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        let files = ReportFiles(directory: directory)
        #expect(throws: BenchError.report(path: files.json.path, reason: "there is no report.json there")) { try files.read() }
        let report = sampleReport()
        try files.write(report)
        #expect(try files.read() == report)
        #expect(FileManager.default.fileExists(atPath: files.markdown.path) && FileManager.default.fileExists(atPath: files.html.path))
        try Data("{\"generations\": 3}".utf8).write(to: files.json)
        #expect(throws: BenchError.self) { try files.read() }
    }
}
