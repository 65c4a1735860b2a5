import PoE

/// The reference response's likelihood under products of experts, teacher-forced: the mean per-token
/// log-probability of the reference's tokens, then the end-of-sequence token, where each step's
/// distribution is `log_softmax(base + Σ weight · scores)` and the experts are told the reference's
/// tokens as if they had been chosen. The base model runs once; every product reuses its logits.
public struct ReferenceLikelihood<Model: LanguageModel> {
    /// The base model.
    public let model: Model
    /// How instructions are framed.
    public let template: PromptTemplate
    /// Reference tokens per forward pass (bounds the logits held at once).
    public var chunkSize = 64

    /// Scoring for `model` with `template`.
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
        var totals = [Double](repeating: 0, count: products.count)
        do {
            try ProductOfExperts.teacherForce(model: model, prompt: prompt, continuation: target, products: products, chunkSize: chunkSize) {
                step, p, _, row, _ in
                totals[p] += Double(row[Int(target[step])] - logSumExp(row))
            }
        } catch let LanguageModelError.contextFull(needed, capacity) {
            throw BenchError.referenceTooLong(instruction: index, tokens: needed, capacity: capacity)
        }
        guard !target.isEmpty else { return (totals, 0) }
        return (totals.map { $0 / Double(target.count) }, target.count)
    }
}
