/// Responses generated together, joining and leaving between steps: the one loop behind
/// `Generator.generate(_:batchSize:onResult:)` and `BatchedGenerationService`.
///
/// A step runs prompt chunks of newcomers (up to `prefillBudget` tokens, in the sessions' own chunks, so a
/// prompt taken in over several steps is computed exactly as one taken whole), then one token of every
/// response whose prompt is in, all in one batched decode. Each response has its own session, experts'
/// state and sampler; a response's tokens do not depend on what else is in the batch, as long as the
/// model's batched logits equal its single ones (the transformer's do, bit for bit).
final class ContinuousBatch<Model: LanguageModel> {
    typealias Outcome = Result<GenerationResult, any Error>

    let model: Model
    /// Prompt tokens a step may run before its decode, at least one chunk (`Int.max`: every newcomer's
    /// whole prompt at once).
    let prefillBudget: Int
    /// Responses by arrival, each with the caller's id.
    private(set) var entries: [(id: Int, run: ResponseRun<Model>)] = []

    init(model: Model, prefillBudget: Int) {
        self.model = model
        self.prefillBudget = max(1, prefillBudget)
    }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    func add(id: Int, run: ResponseRun<Model>) { entries.append((id, run)) }

    /// Drops a response without a result (its client went away).
    func remove(id: Int) { entries.removeAll { $0.id == id } }

    /// One step. `onEvent` gets each response's text (and trace records) as it is chosen; `onEnd` each
    /// response's result once, when it ends or fails. A failure of one response (its experts' scores are
    /// not a distribution) is its result only; an error of the batched decode, or one `onEnd` throws,
    /// ends the step.
    func step(onEvent: (Int, GenerationEvent) -> Void, onEnd: (Int, Outcome) throws -> Void) throws {
        var ended: Set<Int> = []
        var budget = prefillBudget
        for (id, run) in entries where !run.isPrefilled && budget > 0 {
            do {
                budget -= try run.prefill(chunks: 1)
                while !run.isPrefilled, budget > 0 { budget -= try run.prefill(chunks: 1) }
            } catch {
                ended.insert(id)
                try onEnd(id, .failure(error))
            }
        }
        var stepping: [(id: Int, run: ResponseRun<Model>)] = []
        var tokens: [TokenID] = []
        for (id, run) in entries where run.isPrefilled && !ended.contains(id) {
            let events = { (event: GenerationEvent) in onEvent(id, event) }
            let token: TokenID?
            do {
                token = try run.next(onEvent: events)
            } catch {
                ended.insert(id)
                try onEnd(id, .failure(error))
                continue
            }
            if let token {
                stepping.append((id, run))
                tokens.append(token)
            } else {
                ended.insert(id)
                try onEnd(id, .success(run.finish(onEvent: events)))
            }
        }
        entries.removeAll { ended.contains($0.id) }
        guard !stepping.isEmpty else { return }
        let logits = try model.decode(stepping.map(\.run.session), tokens: tokens)
        for (row, entry) in stepping.enumerated() { entry.run.receive(logits, row: row) }
    }
}
