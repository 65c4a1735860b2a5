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
    public let prompt: Prompt
    /// The base model's raw logits for the next token; valid only during the call.
    public let baseLogits: UnsafeBufferPointer<Float>

    public init(tokens: [TokenID], prompt: Prompt, baseLogits: UnsafeBufferPointer<Float>) {
        self.tokens = tokens
        self.prompt = prompt
        self.baseLogits = baseLogits
    }

    /// How many response tokens come before the next one.
    public var generatedCount: Int { tokens.count - prompt.responseStart }
}

/// An expert's scores for the next token, in log space: sparse (a few ids) or dense (every id).
public enum ExpertScores: Sendable {
    case none
    case sparse(ids: [TokenID], values: [Float])
    case dense([Float])

    /// The score of one token.
    public func score(of token: TokenID) -> Float {
        switch self {
        case .none: return 0
        case let .dense(values): return values[Int(token)]
        case let .sparse(ids, values):
            var total: Float = 0
            for (id, value) in zip(ids, values) where id == token { total += value }
            return total
        }
    }

    /// Adds `weight` times these scores to `logits`.
    public func add(to logits: UnsafeMutableBufferPointer<Float>, weight: Float) {
        switch self {
        case .none: break
        case let .sparse(ids, values):
            for (id, value) in zip(ids, values) { logits[Int(id)] += weight * value }
        case let .dense(values):
            for i in 0 ..< min(values.count, logits.count) { logits[i] += weight * values[i] }
        }
    }
}
