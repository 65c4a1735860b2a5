import PoE

/// The reference response's likelihood under products of experts, teacher-forced: the mean per-token
/// log-probability of the reference's tokens, then the end-of-sequence token, where each step's
/// distribution is `log_softmax(base + Σ weight · scores)` and the experts are told the reference's
/// tokens as if they had been chosen. The base model runs once; every product reuses its logits.
public struct ReferenceLikelihood<Model: LanguageModel> {
    public let model: Model
    public let template: PromptTemplate
    /// Reference tokens per forward pass (bounds the logits held at once).
    public var chunkSize = 64

    public init(model: Model, template: PromptTemplate) {
        self.model = model
        self.template = template
    }

    /// One mean log-probability per product, and how many tokens were scored.
    public func score(
        instruction: String, reference: String, index: Int, products: [ProductOfExperts]
    ) throws -> (meanLogProbabilities: [Double], tokens: Int) {
        let tokenizer = model.tokenizer
        let prompt = try template.prompt(for: instruction, tokenizer: tokenizer)
        let target = try tokenizer.encode(reference, addSpecial: false, parseSpecial: false) + (model.vocabulary.eos.map { [$0] } ?? [])
        let session = try model.makeSession()
        guard prompt.tokens.count + target.count <= session.capacity else {
            throw BenchError.referenceTooLong(instruction: index, tokens: prompt.tokens.count + target.count, capacity: session.capacity)
        }
        guard !target.isEmpty else { return (products.map { _ in 0 }, 0) }
        let states = try products.map { try $0.start(prompt) }
        var totals = [Double](repeating: 0, count: products.count)
        var sequence = prompt.tokens
        // Row r of `logits` is the distribution of target[next + r].
        var logits = try session.append(prompt.tokens, logits: .last)
        var next = 0
        var row = [Float](repeating: 0, count: logits.columns)
        while next < target.count {
            for r in 0 ..< logits.rows where next + r < target.count {
                let token = target[next + r]
                for (p, state) in states.enumerated() {
                    let logProbability = try logits.values.withUnsafeBufferPointer { all in
                        let base = UnsafeBufferPointer(rebasing: all[r * logits.columns ..< (r + 1) * logits.columns])
                        return try row.withUnsafeMutableBufferPointer { product in
                            try state.combine(ExpertStep(tokens: sequence, prompt: prompt, baseLogits: base), into: product)
                            return product[Int(token)] - logSumExp(UnsafeBufferPointer(product))
                        }
                    }
                    totals[p] += Double(logProbability)
                    try state.accept(token)
                }
                sequence.append(token)
            }
            next += logits.rows
            // The next rows: run the tokens just scored (all but the last target token need running).
            let ahead = min(chunkSize, target.count - next)
            guard ahead > 0 else { break }
            logits = try session.append(Array(target[next - 1 ..< next - 1 + ahead]), logits: .all)
        }
        return (totals.map { $0 / Double(target.count) }, target.count)
    }
}
