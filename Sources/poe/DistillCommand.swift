import ArgumentParser
import Dispatch
import Foundation
import PoE
import PoEBench
import PoEModels
import PoERules
import PoETransformer

/// `poe distill`: non-instructional data (Xie et al. 2024) from any text.
struct DistillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Cut passages in half and let a teacher continue each first half: instruction/output pairs.",
        discussion: """
            The corpus is JSON lines with a 'text' field, or plain text with passages separated by blank \
            lines. Each passage's first half (by tokens, cut at the nearest word boundary) is the \
            instruction; the teacher's continuation is the output. A chat teacher gets the first half as a \
            user turn through its template (--template model, the default, recognises the model's own; a \
            model without one continues the raw text). Records stream to --out as JSON lines; Ctrl-C leaves \
            a valid file that --resume finishes. See docs/distill.md.
            """
    )

    @Option(help: "The teacher: a GGUF file or a known model name.") var teacher: String = ModelCatalog.defaultName
    @Option(name: .customLong("lora"), help: "A LoRA adapter for the teacher, FILE or FILE:SCALE; repeatable.") var adapters: [String] = []
    @Option(name: .customLong("rules"), help: "A rule set the teacher is multiplied with; repeatable.") var rules: [String] = []
    @Option(help: "Prompt template: model (the teacher's own, else raw), \(PromptTemplate.all.map(\.name).joined(separator: ", ")).")
    var template = "model"
    @Option(help: "JSON lines with 'text', or plain text with blank lines between passages.") var corpus: String
    @Option(help: "Where the records go (JSON lines); its settings go to FILE.state.json.") var out: String
    @OptionGroup var sampling: SamplingOptions
    @Option(parsing: .unconditional, help: "Passages generated together.") var batch = 16
    @Option(parsing: .unconditional, help: "Only the first N passages.") var limit: Int?
    @Option(name: .customLong("min-tokens"), parsing: .unconditional, help: "Skip passages shorter than this many tokens.") var minTokens = 32
    @Flag(name: .customLong("drop-truncated"), help: "Drop continuations that reach --max-tokens.") var dropTruncated = false
    @Flag(name: .customLong("keep-empty"), help: "Keep empty continuations (dropped by default).") var keepEmpty = false
    @Flag(help: "Continue the output file where it stopped.") var resume = false
    @Flag(help: "Replace an existing output file.") var force = false

    func validate() throws {
        guard template == "model" || PromptTemplate.named(template) != nil else {
            throw ValidationError("unknown template '\(template)' (model, \(PromptTemplate.all.map(\.name).joined(separator: ", ")))")
        }
        guard batch >= 1, minTokens >= 2 else { throw ValidationError("--batch must be at least 1, --min-tokens at least 2") }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        if resume, force { throw ValidationError("--force replaces the output and --resume continues it; give one of them") }
        for spec in adapters { _ = try AdapterSpec(spec) }
    }

    func run() async throws {
        let corpusBytes: [UInt8]
        do { corpusBytes = try FileContents.read(corpus) } catch { throw CommandError(error.description) }
        let passages = try DistillCorpus.parse(corpusBytes, path: corpus)
        let model = try AdapterSpec.load(model: teacher, adapters: adapters)
        let product = try PoECommandLine.product(of: rules.map(RuleSet.load), for: model)
        let chosen = template == "model" ? model.ownTemplate ?? .raw : PromptTemplate.named(template) ?? .raw
        let settings = DistillSettings(
            teacher: ([teacher] + adapters.map { "lora \($0)" } + rules.map { "rules \($0)" }).joined(separator: " + "),
            template: chosen.name, corpus: corpus, corpusFingerprint: DistillSettings.fingerprint(corpusBytes), passages: passages.count,
            limit: limit, maxTokens: sampling.maxTokens, sampling: sampling.parameters,
            minimumTokens: minTokens, dropTruncated: dropTruncated, keepEmpty: keepEmpty)
        let runner = DistillRunner(model: model, product: product, template: chosen, settings: settings, batchSize: batch)
        let (out, resume, force) = (out, resume, force)

        // Ctrl-C cancels the work; what finished is already in the file.
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let start = ContinuousClock.now
        let work = Task.detached { () throws -> (records: Int, skipped: Int, finished: Int, interrupted: Bool) in
            let output = resume
                ? try DistillOutput.resume(path: out, settings: settings)
                : try DistillOutput.create(path: out, settings: settings, replacing: force)
            let progress = ProgressLine()
            defer { progress.end() }
            do {
                let finished = try runner.run(passages, into: output, progress: progress.show)
                return (output.records, output.skipped.count, finished, false)
            } catch is CancellationError {
                try output.saveState()
                return (output.records, output.skipped.count, 0, true)
            }
        }
        interrupt.setEventHandler { work.cancel() }
        interrupt.resume()
        defer { interrupt.cancel() }
        let (records, skipped, finished, interrupted) = try await work.value
        if interrupted {
            printError("interrupted: \(records) records in \(out); finish them with the same command and --resume")
            throw ExitCode(130)
        }
        let seconds = (ContinuousClock.now - start).seconds
        let count = min(limit ?? passages.count, passages.count)
        printError(String(
            format: "%d records and %d passages skipped (reasons in %@.state.json) of %d; this run finished %d passages in %.1f s (%.1f a minute)",
            records, skipped, out, count, finished, seconds, Double(finished) / max(seconds, 1e-9) * 60))
    }
}
