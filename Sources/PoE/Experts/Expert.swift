/// One factor of a product of experts: a scorer of next tokens, added (with a weight) to the base model's
/// log-probabilities.
///
/// An expert is a factory: `start` gives fresh state for each sequence, so nothing leaks across
/// generations or batch rows. The state scores each step and is told each chosen token.
public protocol Expert: Sendable {
    /// A short name for traces.
    var name: String { get }

    /// Throws if the expert cannot work with a model of this vocabulary (checked when a product is built).
    func check(vocabulary: Vocabulary) throws

    /// Fresh state for one sequence that begins with `prompt`.
    func start(_ prompt: Prompt) throws -> any ExpertState
}

extension Expert {
    /// Accepts every vocabulary.
    public func check(vocabulary: Vocabulary) throws {}
}

/// An expert's state for one sequence.
public protocol ExpertState: AnyObject {
    /// Additive log-space scores for the next token.
    func scores(_ step: ExpertStep) throws -> ExpertScores

    /// Told the token that was chosen (or, when scoring a given text, the token that comes next).
    func accept(_ token: TokenID) throws
}

/// What an expert sees before each token.
public struct ExpertStep {
    /// The sequence so far: the prompt, then what was generated.
    public let tokens: [TokenID]
    /// The prompt, with its landmarks (where the instruction starts, where the response starts).
    public let prompt: Prompt
    /// The base model's own raw logits for the next token, as the model gave them: no expert's scores are
    /// in them, whatever the order of the experts. Valid only during the call.
    public let baseLogits: UnsafeBufferPointer<Float>

    /// A step: the sequence so far, its prompt, and the base model's logits for the next token.
    public init(tokens: [TokenID], prompt: Prompt, baseLogits: UnsafeBufferPointer<Float>) {
        self.tokens = tokens
        self.prompt = prompt
        self.baseLogits = baseLogits
    }

    /// How many response tokens come before the next one.
    public var generatedCount: Int { tokens.count - prompt.responseStart }
}

/// An expert's scores for the next token, in log space: sparse (a few ids) or dense (every id).
///
/// A score of `-infinity` rules a token out; NaN and `+infinity` are not scores (a product holding them
/// is rejected with `ProductError`).
public enum ExpertScores: Sendable {
    /// No scores this step.
    case none
    /// `values[i]` for `ids[i]`; the two have the same length, and an id may repeat (its scores add up).
    case sparse(ids: [TokenID], values: [Float])
    /// One score per vocabulary entry.
    case dense([Float])

    /// Why these scores cannot be added to a vocabulary of `size` tokens, or nil if they can.
    public func problem(vocabularySize size: Int) -> String? {
        switch self {
        case .none:
            return nil
        case let .dense(values):
            return values.count == size ? nil : "gave \(values.count) dense scores for a vocabulary of \(size) tokens"
        case let .sparse(ids, values):
            guard ids.count == values.count else { return "gave \(ids.count) token ids but \(values.count) scores" }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= size }) {
                return "scored token id \(bad), outside the vocabulary (valid ids are 0..<\(size))"
            }
            return nil
        }
    }

    /// The score of one token (0 for a token the scores do not cover).
    public func score(of token: TokenID) -> Float {
        switch self {
        case .none: return 0
        case let .dense(values): return values.indices.contains(Int(token)) ? values[Int(token)] : 0
        case let .sparse(ids, values):
            var total: Float = 0
            for (id, value) in zip(ids, values) where id == token { total += value }
            return total
        }
    }

    /// Adds `weight` times these scores to `logits`. The scores must fit (`problem(vocabularySize:)` nil).
    func add(to logits: UnsafeMutableBufferPointer<Float>, weight: Float) {
        switch self {
        case .none: break
        case let .sparse(ids, values):
            for (id, value) in zip(ids, values) { logits[Int(id)] += weight * value }
        case let .dense(values):
            values.withUnsafeBufferPointer { values in
                for i in 0 ..< logits.count { logits[i] += weight * values[i] }
            }
        }
    }
}
