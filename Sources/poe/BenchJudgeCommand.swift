import ArgumentParser
import Foundation
import PoEBench
import PoEJudge

/// The judge's options, shared by `poe bench --judge` and `poe bench judge`.
struct JudgeOptions: ParsableArguments {
    @Option(name: .customLong("judge"), help: "An OpenAI-compatible server or API to judge with: http://HOST:PORT, .../v1 or .../chat/completions.")
    var url: String?
    @Option(name: .customLong("judge-model"), help: "The judge's model name, as the endpoint knows it.") var model: String?
    @Option(name: .customLong("judge-api-key-env"), help: "The environment variable holding the endpoint's API key.") var apiKeyVariable: String?
    @Option(name: .customLong("judge-concurrency"), parsing: .unconditional, help: "Questions in flight at once (default: 4).") var concurrency = 4
    @Option(name: .customLong("judge-timeout"), parsing: .unconditional, help: "Seconds one question may take (default: 120).") var timeout = 120
    @Option(name: .customLong("judge-pairs"), help: "Also judge rule set a against rule set b, as a:b; comma-separated or repeated.")
    var pairs: [String] = []

    var isRequested: Bool { url != nil }

    func validate() throws {
        guard let url else {
            if model != nil || apiKeyVariable != nil || !pairs.isEmpty { throw ValidationError("the --judge-* options need --judge URL") }
            return
        }
        guard JudgeEndpoint.chatCompletionsURL(url) != nil else { throw ValidationError("--judge must be an http:// or https:// URL, not '\(url)'") }
        guard let model, !model.isEmpty else { throw ValidationError("--judge needs --judge-model NAME") }
        guard concurrency >= 1 else { throw ValidationError("--judge-concurrency must be at least 1") }
        guard timeout >= 1 else { throw ValidationError("--judge-timeout must be at least 1 second") }
        _ = try comparisonPairs()
    }

    func comparisonPairs() throws -> [JudgeComparison] {
        try pairs.flatMap { $0.split(separator: ",") }.map { try JudgeComparison(pair: String($0).trimmingCharacters(in: .whitespaces)) }
    }

    func endpoint() throws -> JudgeEndpoint {
        guard let url, let chat = JudgeEndpoint.chatCompletionsURL(url), let model else { throw CommandError("--judge needs a URL and --judge-model") }
        var key: String?
        if let apiKeyVariable {
            guard let value = ProcessInfo.processInfo.environment[apiKeyVariable], !value.isEmpty else {
                throw CommandError("--judge-api-key-env names \(apiKeyVariable), which is not set in the environment")
            }
            key = value
        }
        return JudgeEndpoint(url: chat, model: model, apiKey: key, timeout: .seconds(timeout))
    }

    /// Judges `report` (from `instructions`) and writes it, with the win rates, to `files`: every rule set
    /// against the references (when the instructions have them), then the --judge-pairs. Questions already
    /// in the directory's judgments.jsonl are not asked again. Exits non-zero if some questions failed
    /// after their retries (the report still has the rest; running again asks only those).
    func judge(_ report: inout BenchReport, instructions: [BenchInstruction], files: ReportFiles) async throws {
        let endpoint = try endpoint()
        var comparisons: [JudgeComparison] = []
        if instructions.contains(where: { $0.reference != nil }) {
            comparisons += report.ruleSets.map { JudgeComparison(ruleSet: $0.name) }
        }
        comparisons += try comparisonPairs()
        guard !comparisons.isEmpty else {
            throw CommandError("there is nothing to judge: \(report.configuration.instructions) has no references, and no --judge-pairs were given")
        }
        var store = try JudgmentStore(directory: files.directory)
        let judge = BenchJudge(judge: JudgeClient(endpoint: endpoint), concurrency: concurrency)
        let progress = ProgressLine()
        let start = ContinuousClock.now
        let outcome = try await judge.judge(report, instructions: instructions, comparisons: comparisons, store: &store) { done, total in
            progress.show(BenchProgress(
                done: done, total: total, doneHere: done, generatedTokens: 0, elapsedSeconds: (ContinuousClock.now - start).seconds,
                phase: "judging with \(endpoint.model)"))
        }
        progress.end()
        report.judge = outcome.results
        try files.write(report)
        print(MarkdownReport.judgeTable(outcome.results))
        printError("asked the judge \(outcome.asked) questions (the others were in \(store.url.path)); wrote \(files.json.path)")
        if !outcome.failures.isEmpty {
            for failure in outcome.failures.prefix(3) { printError("judge failed: \(failure)") }
            throw CommandError("\(outcome.failures.count) questions failed after their retries; their instructions are counted as missing. Run `poe bench judge \(files.directory.path)` with the same judge to ask them again")
        }
    }
}

/// `poe bench judge DIR`: judge (or judge again, with another judge) a finished report's responses.
struct BenchJudgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge",
        abstract: "Judge a bench report's responses with a judge model, without generating them again.",
        discussion: """
            Reads DIR/report.json and its instruction file (which must not have changed), asks the judge what \\
            DIR/judgments.jsonl does not already hold, and writes the win rates into the report.
            """
    )

    @Argument(help: "A directory holding a report from poe bench.") var directory: String
    @OptionGroup var judge: JudgeOptions

    func validate() throws {
        guard judge.isRequested else { throw ValidationError("give --judge URL and --judge-model NAME") }
        try judge.validate()
    }

    func run() async throws {
        let command = invokedCommandLine()
        let files = ReportFiles(directory: URL(fileURLWithPath: directory), command: command)
        var report = try files.read()
        let lock = try files.lock()
        defer { withExtendedLifetime(lock) {} }
        let instructions = try BenchRunCommand.instructions(report.configuration, path: files.json.path)
        for record in report.records where !instructions.indices.contains(record.index) || instructions[record.index].instruction != record.instruction {
            throw BenchError.report(path: files.json.path, reason: "its instruction \(record.index + 1) is not what \(report.configuration.instructions) holds")
        }
        try await judge.judge(&report, instructions: instructions, files: files)
    }
}

/// `poe bench merge DIR... --out DIR`: the whole report from its shards' reports.
struct BenchMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the reports of a bench's shards (--shard K/N) into one.",
        discussion: """
            The shards must be parts of one bench: the same model, settings, instruction file (by its SHA-256) \\
            and rule sets, no part twice and no record in two parts, and, without --allow-partial, every part. \\
            Their judgments.jsonl files are merged too, so judging the merged report asks only what no shard's \\
            judge was asked.
            """
    )

    @Argument(help: "The shards' report directories.") var directories: [String]
    @Option(help: "Where the merged report goes.") var out: String
    @Flag(name: .customLong("allow-partial"), help: "Merge even if some shards are missing (the report is then partial).") var allowPartial = false
    @Flag(help: "Replace a report that --out already holds.") var force = false

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("give the shards' report directories") }
    }

    func run() throws {
        let command = invokedCommandLine()
        let parts = try directories.map { try ReportFiles(directory: URL(fileURLWithPath: $0)).read() }
        let merged = try BenchReport.merge(parts, paths: directories, allowPartial: allowPartial)
        let files = ReportFiles(directory: URL(fileURLWithPath: out), command: command)
        try files.checkNew(replacing: force)
        let lock = try files.lock()
        defer { withExtendedLifetime(lock) {} }
        var store = try JudgmentStore(directory: files.directory)
        for directory in directories { try store.merge(try JudgmentStore(directory: URL(fileURLWithPath: directory))) }
        try files.write(merged)
        print(MarkdownReport.summaryTable(merged))
        printError("merged \(parts.count) shards (\(merged.records.count) records) into \(files.json.path)\(merged.complete ? "" : "; the report is partial")")
    }
}
