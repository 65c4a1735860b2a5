import Foundation

/// Generates responses: template → ids → prefill → (base logits → experts → sampler → stop checks)*.
public struct Generator<Model: LanguageModel>: Sendable {
    /// The base model.
    public let model: Model
    /// The experts its distribution is multiplied by.
    public let product: ProductOfExperts
    /// The template, the token limit, the sampler and the stop strings.
    public let parameters: GenerationParameters

    /// A generator for `model` with `product`'s experts (none by default) and `parameters`.
    public init(model: Model, product: ProductOfExperts = .none, parameters: GenerationParameters = GenerationParameters()) {
        self.model = model
        self.product = product
        self.parameters = parameters
    }

    /// Generates a response to `instruction`, reporting events as they happen.
    public func generate(_ instruction: String, onEvent: (GenerationEvent) -> Void = { _ in }) throws -> GenerationResult {
        let run = try ResponseRun(model: model, instruction: instruction, product: product, parameters: parameters)
        try run.prefill()
        while let token = try run.next(onEvent: onEvent) {
            if Task.isCancelled { throw CancellationError() }
            run.receive(try run.session.append([token], logits: .last))
        }
        return run.finish(onEvent: onEvent)
    }

    /// Generates responses to several instructions, up to `batchSize` at a time stepped together through
    /// the model's batched decode (`LanguageModel.decode`); a finished response makes room for the next
    /// instruction at once. Each result is what `generate` gives for that instruction alone, token for
    /// token where the model's batched logits equal its single ones (the transformer's do, bit for bit).
    ///
    /// `onResult(index, result)` reports each response as it finishes, in the order they finish. A failure
    /// that belongs to one instruction (its prompt does not fit the context, an expert's scores are not a
    /// distribution) is that instruction's result, and the others go on; an error `onResult` throws, or
    /// one of the model's own, stops the batch. Checks for task cancellation at every step.
    public func generate(
        _ instructions: [String], batchSize: Int, onResult: (Int, Result<GenerationResult, any Error>) throws -> Void
    ) throws {
        var pending = instructions.enumerated().makeIterator()
        let batch = ContinuousBatch(model: model, prefillBudget: .max)
        while true {
            while batch.count < max(1, batchSize), let (index, instruction) = pending.next() {
                do {
                    batch.add(id: index, run: try ResponseRun(model: model, instruction: instruction, product: product, parameters: parameters))
                } catch {
                    try onResult(index, .failure(error))
                }
            }
            if batch.isEmpty { return }
            if Task.isCancelled { throw CancellationError() }
            try batch.step(onEvent: { _, _ in }, onEnd: onResult)
        }
    }

    /// The same as an asynchronous stream of events; the work runs on a background task.
    public func stream(_ instruction: String) -> AsyncThrowingStream<GenerationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached {
                do {
                    _ = try self.generate(instruction) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
