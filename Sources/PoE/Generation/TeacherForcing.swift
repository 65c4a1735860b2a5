/// One step of a given continuation under a product of experts: the distributions that predict
/// `token`, as arrays (what ``ProductOfExperts/score(_:after:model:)`` returns).
public struct ScoredStep: Sendable {
    /// The continuation's token at this step: the one these distributions predict.
    public let token: TokenID
    /// The base model's raw logits for this step.
    public let baseLogits: [Float]
    /// The product's raw scores: the base logits plus every expert's weighted scores. A token an expert
    /// rules out is at `-infinity`.
    public let productLogits: [Float]
    /// Each expert's scores at this step, in the product's order (before weighting).
    public let expertScores: [ExpertScores]

    /// The product's next-token log-probabilities (`productLogits`, normalised).
    public var logProbabilities: [Float] { normalised(productLogits) }
    /// The base model's next-token log-probabilities.
    public var baseLogProbabilities: [Float] { normalised(baseLogits) }
    /// The log-probability the product gives `token`.
    public var tokenLogProbability: Float { productLogits[Int(token)] - productLogits.withUnsafeBufferPointer(logSumExp) }
    /// The log-probability the base model gives `token`.
    public var baseTokenLogProbability: Float { baseLogits[Int(token)] - baseLogits.withUnsafeBufferPointer(logSumExp) }

    private func normalised(_ row: [Float]) -> [Float] {
        let normaliser = row.withUnsafeBufferPointer(logSumExp)
        return row.map { $0 - normaliser }
    }
}

extension ProductOfExperts {
    /// The product's distribution at every token of `continuation` after `prompt`, teacher-forced: the
    /// base model reads the prompt and the continuation, and the experts are told each token of the
    /// continuation as if it had been chosen. Step `i` predicts `continuation[i]`.
    ///
    /// Each step holds two rows the size of the vocabulary (about 1 MB each for Gemma 3), so score long
    /// texts in parts. Throws `LanguageModelError` when the prompt and continuation do not fit the
    /// model's context or hold an id outside the vocabulary, and `ProductError` when the product is not
    /// a distribution at some step.
    public func score<Model: LanguageModel>(_ continuation: [TokenID], after prompt: Prompt, model: Model) throws -> [ScoredStep] {
        var steps: [ScoredStep] = []
        steps.reserveCapacity(continuation.count)
        try Self.teacherForce(model: model, prompt: prompt, continuation: continuation, products: [self]) { step, _, base, product, scores in
            steps.append(ScoredStep(token: continuation[step], baseLogits: Array(base), productLogits: Array(product), expertScores: scores))
        }
        return steps
    }

    /// Runs the model once over `prompt` and `continuation` and, for every continuation token and every
    /// product, writes the product's row and hands it to `body(step, product, base, row, scores)`; each
    /// product's experts are then told the token. The base model's logits come `chunkSize` positions per
    /// forward pass, which bounds what is held at once; no buffer is allocated per step.
    package static func teacherForce<Model: LanguageModel>(
        model: Model, prompt: Prompt, continuation: [TokenID], products: [ProductOfExperts], chunkSize: Int = 64,
        body: (_ step: Int, _ product: Int, _ base: UnsafeBufferPointer<Float>, _ row: UnsafeBufferPointer<Float>, _ scores: [ExpertScores]) throws -> Void
    ) throws {
        guard !prompt.tokens.isEmpty else { throw LanguageModelError.emptyInput }
        try model.vocabulary.validate(prompt.tokens + continuation)
        let session = try model.makeSession()
        guard prompt.tokens.count + continuation.count <= session.capacity else {
            throw LanguageModelError.contextFull(needed: prompt.tokens.count + continuation.count, capacity: session.capacity)
        }
        guard !continuation.isEmpty else { return }
        let states = try products.map { try $0.start(prompt) }
        var sequence = prompt.tokens
        // Row r of `logits` is the distribution of continuation[next + r].
        var logits = try session.append(prompt.tokens, logits: .last)
        var next = 0
        var row = [Float](repeating: 0, count: logits.columns)
        while next < continuation.count {
            for r in 0 ..< logits.rows where next + r < continuation.count {
                let token = continuation[next + r]
                for (p, state) in states.enumerated() {
                    try logits.values.withUnsafeBufferPointer { all in
                        let base = UnsafeBufferPointer(rebasing: all[r * logits.columns ..< (r + 1) * logits.columns])
                        try row.withUnsafeMutableBufferPointer { product in
                            let scores = try state.combine(ExpertStep(tokens: sequence, prompt: prompt, baseLogits: base), into: product)
                            try body(next + r, p, base, UnsafeBufferPointer(product), scores)
                        }
                    }
                    try state.accept(token)
                }
                sequence.append(token)
            }
            next += logits.rows
            // The next rows: run the tokens just scored (all but the last continuation token need running).
            let ahead = min(max(1, chunkSize), continuation.count - next)
            guard ahead > 0 else { break }
            logits = try session.append(Array(continuation[next - 1 ..< next - 1 + ahead]), logits: .all)
        }
    }
}
