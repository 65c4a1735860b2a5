import Foundation
import PoE

/// Builds non-instructional data (Xie et al. 2024): each passage's first half is an instruction, and a
/// teacher (a model, an adapted model, or a product with rules) continues it; the continuation is the
/// output. Passages are generated in batches; each finished one is written at once, and passages the
/// output already holds are skipped, which is how `--resume` continues an interrupted run.
public struct DistillRunner<Model: LanguageModel>: Sendable {
    /// The teacher model.
    public let model: Model
    /// The teacher's rules (none: the model alone).
    public let product: ProductOfExperts
    /// How first halves are framed (`raw`: as plain text to continue).
    public let template: PromptTemplate
    /// The run's settings.
    public let settings: DistillSettings
    /// Passages continued together.
    public let batchSize: Int

    /// A runner.
    public init(model: Model, product: ProductOfExperts, template: PromptTemplate, settings: DistillSettings, batchSize: Int) {
        (self.model, self.product, self.template, self.settings, self.batchSize) = (model, product, template, settings, batchSize)
    }

    /// Generates every passage `output` does not hold yet, writing each record or skip as it finishes and
    /// calling `progress` as work finishes; returns how many passages this run finished. Stops with
    /// `CancellationError` when the task is cancelled.
    @discardableResult
    public func run(_ passages: [String], into output: DistillOutput, progress: (BenchProgress) -> Void = { _ in }) throws -> Int {
        let start = ContinuousClock.now
        let count = min(settings.limit ?? passages.count, passages.count)
        let total = count, doneBefore = (0 ..< count).filter(output.done.contains).count
        var doneHere = 0, tokens = 0
        func tell() {
            progress(BenchProgress(
                done: doneBefore + doneHere, total: total, doneHere: doneHere, generatedTokens: tokens,
                elapsedSeconds: (ContinuousClock.now - start).seconds, phase: "distilling"))
        }
        tell()
        let splitter = PassageSplitter(tokenizer: model.tokenizer, minimumTokens: settings.minimumTokens)
        var work: [(index: Int, split: PassageSplitter<Model.TextTokenizer>.Split)] = []
        for index in 0 ..< count where !output.done.contains(index) {
            if let split = try splitter.split(passages[index]) {
                work.append((index, split))
            } else {
                try output.skip(DistillSkip(sourceIndex: index, reason: "shorter than \(settings.minimumTokens) tokens, or no word boundary to cut at"))
                doneHere += 1
            }
        }
        let generator = Generator(
            model: model, product: product,
            parameters: GenerationParameters(template: template, maxTokens: settings.maxTokens, sampling: settings.sampling))
        try generator.generate(work.map(\.split.instruction), batchSize: batchSize) { k, outcome in
            let (index, split) = work[k]
            doneHere += 1
            defer { tell() }
            let result: GenerationResult
            switch outcome {
            case let .failure(error as CancellationError): throw error
            case let .failure(error):
                try output.skip(DistillSkip(sourceIndex: index, reason: "\(error)"))
                return
            case let .success(success): result = success
            }
            tokens += result.tokens.count
            if settings.dropTruncated, result.stopReason == .length || result.stopReason == .contextFull {
                try output.skip(DistillSkip(sourceIndex: index, reason: "the continuation reached the token limit (\(settings.maxTokens))"))
            } else if !settings.keepEmpty, result.text.allSatisfy(\.isWhitespace) {
                try output.skip(DistillSkip(sourceIndex: index, reason: "the continuation is empty"))
            } else {
                try output.append(DistillRecord(
                    instruction: split.instruction, output: result.text, sourceIndex: index, teacher: settings.teacher,
                    stopReason: result.stopReason, outputTokens: result.tokens.count, passageTokens: split.passageTokens,
                    originalContinuation: split.rest))
            }
        }
        return doneHere
    }
}
