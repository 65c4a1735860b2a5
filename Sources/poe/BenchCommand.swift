import ArgumentParser
import Dispatch
import Foundation
import PoE
import PoEBench
import PoEModels
import PoERules
import PoETransformer

/// `poe bench`: rule sets against the base model on a set of instructions, with a report; a judge's win
/// rates; shards run apart and merged.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark rule sets against the base model on a set of instructions.",
        subcommands: [BenchRunCommand.self, BenchJudgeCommand.self, BenchMergeCommand.self],
        defaultSubcommand: BenchRunCommand.self
    )
}

/// `poe bench [run]`: generate, score, and (with --judge) judge.
struct BenchRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Benchmark rule sets against the base model on a set of instructions (the default).",
        discussion: """
            Generates every rule set's response to every instruction (in batches), scores each reference \
            response under every rule set, and writes report.json, report.md and report.html to --out \
            (docs/bench.md defines the measures). Ctrl-C leaves a valid partial report; --resume DIR \
            continues it, taking its settings from the report. With --judge, a judge model then compares \
            the responses with the references (and --judge-pairs' rule sets with each other). --shard K/N \
            runs the K-th of N parts; `poe bench merge` joins the parts' reports.
            """
    )

    @Option(help: "A GGUF file or a known model name (default: \(ModelCatalog.defaultName)).") var model: String?
    @Option(name: .customLong("lora"), help: "A LoRA adapter, FILE or FILE:SCALE; repeatable.") var adapters: [String] = []
    @Option(help: "JSON lines with 'instruction' and optionally 'reference'.") var instructions: String?
    @Option(name: .customLong("rule-sets"), help: "Comma-separated presets or rule-set files (default: none,paper).") var ruleSets: String?
    @Option(help: "Add the leave-one-rule-out ablations of this rule set; repeatable.") var ablate: [String] = []
    @Option(name: .customLong("max-tokens"), parsing: .unconditional, help: "Most response tokens (default: 256).") var maxTokens: Int?
    @Option(help: "Prompt template (default: tulu).") var template: String?
    @Option(parsing: .unconditional, help: "Only the first N instructions.") var limit: Int?
    @Option(parsing: .unconditional, help: "Responses generated together.") var batch = 16
    @Option(help: "Where the report goes (default: bench-report).") var out: String?
    @Option(help: "Continue the report in this directory.") var resume: String?
    @Flag(help: "Replace a report that --out already holds.") var force = false
    @Option(help: "Run the K-th of N disjoint parts of (instruction × rule set), as K/N.") var shard: String?
    @OptionGroup var judge: JudgeOptions

    func validate() throws {
        if let maxTokens, maxTokens < 1 { throw ValidationError("--max-tokens must be at least 1") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        if let template, PromptTemplate.named(template) == nil {
            throw ValidationError("unknown template '\(template)' (one of \(PromptTemplate.all.map(\.name).joined(separator: ", ")))")
        }
        if resume == nil, instructions == nil { throw ValidationError("give --instructions FILE (or --resume DIR)") }
        if let resume, let out, resume != out { throw ValidationError("--resume writes to its own directory; drop --out") }
        if resume != nil, force { throw ValidationError("--force replaces a report and --resume continues one; give one of them") }
        for spec in adapters { _ = try AdapterSpec(spec) }
        if let shard { _ = try BenchShard(shard) }
        try judge.validate()
    }

    func run() async throws {
        let (planned, files, items) = try plan()
        var report = planned
        let lock = try files.lock()
        defer { withExtendedLifetime(lock) {} }
        let transformer = try AdapterSpec.load(model: report.configuration.model, adapters: report.configuration.adapters ?? [])
        if resume != nil {
            try report.validateForResume(instructions: items, vocabularySize: transformer.vocabulary.count, path: files.json.path)
        }
        let config = report.configuration
        let sets = try report.ruleSets.map { entry in
            BenchRuleSet(definition: entry.definition, product: try PoECommandLine.product(of: [entry.definition], for: transformer))
        }
        let runner = BenchRunner(
            model: transformer, instructions: items, ruleSets: sets,
            parameters: GenerationParameters(template: PromptTemplate.named(config.template) ?? .tulu, maxTokens: config.maxTokens),
            batchSize: batch)

        // Ctrl-C cancels the work, which then saves what it has.
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let work = Task.detached { try Self.execute(runner, report, files) }
        interrupt.setEventHandler { work.cancel() }
        interrupt.resume()
        defer { interrupt.cancel() }
        let finished: BenchReport
        do {
            finished = try await work.value
        } catch is CancellationError {
            printError("interrupted: a partial report is in \(files.directory.path); continue it with --resume \(files.directory.path)")
            throw ExitCode(130)
        }
        print(MarkdownReport.summaryTable(finished))
        printError("wrote \(files.json.path), \(files.markdown.path) and \(files.html.path)")
        if judge.isRequested {
            var judged = finished
            try await judge.judge(&judged, instructions: items, files: files)
        }
    }

    /// Runs the benchmark, writing the report at most every two seconds and whenever it stops.
    private static func execute(_ runner: BenchRunner<Transformer>, _ start: BenchReport, _ files: ReportFiles) throws -> BenchReport {
        var report = start
        let progress = ProgressLine()
        var lastWrite = ContinuousClock.now
        do {
            try runner.run(&report, progress: progress.show) { checkpoint in
                guard ContinuousClock.now - lastWrite > .seconds(2) else { return }
                try files.write(checkpoint)
                lastWrite = ContinuousClock.now
            }
        } catch {
            progress.end()
            try files.write(report)
            throw error
        }
        progress.end()
        try files.write(report)
        return report
    }

    /// The report to fill, where it goes and its instructions: a new report from the options, or the one to
    /// resume, checked against the options and its instruction file.
    private func plan() throws -> (BenchReport, ReportFiles, [BenchInstruction]) {
        let command = invokedCommandLine()
        if let resume {
            let files = ReportFiles(directory: URL(fileURLWithPath: resume), command: command)
            let report = try files.read()
            let c = report.configuration
            func check<T: Equatable>(_ given: T?, _ recorded: T?, _ option: String) throws {
                if let given, given != recorded {
                    throw BenchError.report(
                        path: files.json.path, reason: "\(option) \(given) differs from the report's \(recorded.map { "\($0)" } ?? "none"); drop it to resume")
                }
            }
            try check(model, c.model, "--model")
            if !adapters.isEmpty { try check(adapters, c.adapters ?? [], "--lora") }
            try check(instructions, c.instructions, "--instructions")
            try check(maxTokens, c.maxTokens, "--max-tokens")
            try check(template, c.template, "--template")
            try check(limit, c.limit, "--limit")
            try check(try shard.map(BenchShard.init), report.shard, "--shard")
            if ruleSets != nil || !ablate.isEmpty {
                let names = try requestedRuleSets().map(\.name)
                try check(names, report.ruleSets.map(\.name), "--rule-sets")
            }
            let items = try Self.instructions(c, path: files.json.path)
            return (report, files, items)
        }
        let path = instructions ?? ""
        let (all, sha256) = try InstructionFile.readWithDigest(path: path)
        let items = limit.map { Array(all.prefix($0)) } ?? all
        let configuration = BenchConfiguration(
            model: model ?? ModelCatalog.defaultName, adapters: adapters.isEmpty ? nil : adapters, instructions: path,
            template: template ?? "tulu", maxTokens: maxTokens ?? 256, limit: limit, instructionsSHA256: sha256, instructionCount: items.count)
        let report = BenchReport(
            configuration: configuration, ruleSets: try requestedRuleSets(), instructions: items, shard: try shard.map(BenchShard.init))
        let files = ReportFiles(directory: URL(fileURLWithPath: out ?? "bench-report"), command: command)
        try files.checkNew(replacing: force)
        return (report, files, items)
    }

    /// The instructions a report was made from, read again from its file, which must not have changed.
    static func instructions(_ configuration: BenchConfiguration, path: String) throws -> [BenchInstruction] {
        let (all, sha256) = try InstructionFile.readWithDigest(path: configuration.instructions)
        if let recorded = configuration.instructionsSHA256, recorded != sha256 {
            throw BenchError.report(path: path, reason: "\(configuration.instructions) has changed since the report was made (its SHA-256 differs)")
        }
        return configuration.limit.map { Array(all.prefix($0)) } ?? all
    }

    /// The rule sets named by --rule-sets, then each --ablate's leave-one-out sets; names must be unique.
    private func requestedRuleSets() throws -> [RuleSet] {
        let names = (ruleSets ?? "none,paper").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var sets = try names.map(RuleSet.load)
        for name in ablate { sets += try RuleSet.load(name).leaveOneOut() }
        var seen = Set<String>()
        for set in sets where !seen.insert(set.name).inserted {
            throw CommandError("two rule sets are named '\(set.name)'; give each file its own \"name\"")
        }
        guard !sets.isEmpty else { throw CommandError("--rule-sets names no rule set") }
        return sets
    }
}

/// This process's command line as `poe ...`, each argument quoted as a shell needs it (for the reports).
func invokedCommandLine() -> String {
    (["poe"] + CommandLine.arguments.dropFirst()).map(shellQuoted).joined(separator: " ")
}

/// An argument as a shell would need it quoted.
private func shellQuoted(_ argument: String) -> String {
    argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=,:".contains($0) } ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
