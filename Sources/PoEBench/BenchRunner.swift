import Foundation
import PoE
import PoERules

/// A rule set and its product, built for the benchmark's model.
public struct BenchRuleSet: Sendable {
    /// The rule set as written.
    public let definition: RuleSet
    /// Its experts, built for the model.
    public let product: ProductOfExperts

    /// A rule set with its product.
    public init(definition: RuleSet, product: ProductOfExperts) {
        self.definition = definition
        self.product = product
    }
}

/// How far a run has got, for a progress display.
public struct BenchProgress: Sendable {
    /// Generations and reference scorings done, and in all (counting those a resumed report had).
    public var done: Int
    /// All of them.
    public var total: Int
    /// Done in this run, for rates.
    public var doneHere: Int
    /// Tokens generated in this run.
    public var generatedTokens: Int
    /// Time since this run started.
    public var elapsedSeconds: Double
    /// What is being done ("generating", "scoring references").
    public var phase: String

    /// Progress as counted.
    public init(done: Int, total: Int, doneHere: Int, generatedTokens: Int, elapsedSeconds: Double, phase: String) {
        (self.done, self.total, self.doneHere, self.generatedTokens, self.elapsedSeconds, self.phase) = (done, total, doneHere, generatedTokens, elapsedSeconds, phase)
    }
}

/// Runs a benchmark: every rule set's greedy (or sampled) responses to every instruction, generated in
/// batches, then every reference scored under every rule set. Work a report already holds is skipped,
/// which is how `--resume` continues an interrupted run.
public struct BenchRunner<Model: LanguageModel>: Sendable {
    /// The base model.
    public let model: Model
    /// The instructions.
    public let instructions: [BenchInstruction]
    /// The rule sets, each with its product.
    public let ruleSets: [BenchRuleSet]
    /// The template, token limit and sampler of every response.
    public let parameters: GenerationParameters
    /// Responses generated together.
    public let batchSize: Int

    /// A runner.
    public init(model: Model, instructions: [BenchInstruction], ruleSets: [BenchRuleSet], parameters: GenerationParameters, batchSize: Int) {
        self.model = model
        self.instructions = instructions
        self.ruleSets = ruleSets
        self.parameters = parameters
        self.batchSize = batchSize
    }

    /// Completes `report`, calling `checkpoint` with it after every finished piece of work (so that an
    /// interruption leaves a valid partial report; its summary is brought up to date only at the end, so
    /// a checkpoint that is written should be summarized first, as `ReportFiles.write` does) and
    /// `progress` as work finishes. Stops with `CancellationError` when the task is cancelled.
    public func run(
        _ report: inout BenchReport, progress: (BenchProgress) -> Void = { _ in }, checkpoint: (BenchReport) throws -> Void = { _ in }
    ) throws {
        let start = ContinuousClock.now
        let total = report.records.count + report.records.filter(\.hasReference).count
        let doneBefore = report.records.filter(\.isGenerated).count + report.records.filter { $0.hasReference && $0.isScored }.count
        var doneHere = 0, tokens = 0
        func tell(_ phase: String) {
            progress(BenchProgress(
                done: doneBefore + doneHere, total: total, doneHere: doneHere, generatedTokens: tokens,
                elapsedSeconds: (ContinuousClock.now - start).seconds, phase: phase))
        }
        tell("starting")

        for (r, ruleSet) in ruleSets.enumerated() {
            let name = ruleSet.definition.name
            let todo = report.records.indices.filter { report.records[$0].ruleSet == name && !report.records[$0].isGenerated }
            guard !todo.isEmpty else { continue }
            // New responses have not been judged: a judge's results would describe others.
            report.judge = nil
            let generator = Generator(model: model, product: ruleSet.product, parameters: parameters)
            var batchStart = ContinuousClock.now
            try generator.generate(todo.map { report.records[$0].instruction }, batchSize: batchSize) { k, outcome in
                let result: GenerationResult
                switch outcome {
                case let .success(success):
                    result = success
                case let .failure(error as CancellationError):
                    throw error
                case let .failure(error):
                    // One instruction's failure (its prompt does not fit, say) is its record; the rest go on.
                    report.records[todo[k]].fail(String(describing: error))
                    doneHere += 1
                    try checkpoint(report)
                    tell("generating with \(name)")
                    return
                }
                report.records[todo[k]].record(result)
                // The rule set's clock runs while its batch does; add it up at each finished response.
                let now = ContinuousClock.now
                report.ruleSets[r].generationSeconds += (now - batchStart).seconds
                batchStart = now
                report.ruleSets[r].generatedTokens += result.tokens.count
                doneHere += 1
                tokens += result.tokens.count
                try checkpoint(report)
                tell("generating with \(name)")
            }
        }

        let scorer = ReferenceLikelihood(model: model, template: parameters.template)
        for (index, item) in instructions.enumerated() {
            guard let reference = item.reference else { continue }
            let pending = ruleSets.indices.filter { r in
                report.records.contains { $0.ruleSet == ruleSets[r].definition.name && $0.index == index && !$0.isScored }
            }
            guard !pending.isEmpty else { continue }
            if Task.isCancelled { throw CancellationError() }
            let scored: (meanLogProbabilities: [Double], tokens: Int)
            do {
                scored = try scorer.score(
                    instruction: item.instruction, reference: reference, index: index, products: pending.map { ruleSets[$0].product })
            } catch let error as CancellationError {
                throw error
            } catch {
                // A reference that cannot be scored (longer than the context, say) is noted on its records.
                for r in pending {
                    guard let i = report.records.firstIndex(where: { $0.ruleSet == ruleSets[r].definition.name && $0.index == index }) else { continue }
                    report.records[i].referenceError = String(describing: error)
                    doneHere += 1
                }
                try checkpoint(report)
                tell("scoring references")
                continue
            }
            for (r, mean) in zip(pending, scored.meanLogProbabilities) {
                guard let i = report.records.firstIndex(where: { $0.ruleSet == ruleSets[r].definition.name && $0.index == index }) else { continue }
                report.records[i].metrics.referenceLogLikelihood = mean
                report.records[i].metrics.referenceTokens = scored.tokens
                doneHere += 1
            }
            try checkpoint(report)
            tell("scoring references")
        }
        report.summarize()
    }
}
