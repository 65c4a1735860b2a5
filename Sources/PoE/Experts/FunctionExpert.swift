/// An expert that is a function of the step alone: no state of its own, so no state type to write.
///
/// The function sees everything an ``ExpertStep`` holds (the sequence so far, the prompt, the base
/// model's logits) and returns scores for the next token:
///
/// ```swift
/// // Rules out the digits' tokens for the first ten tokens of the response.
/// let digits: [TokenID] = ...
/// let noEarlyDigits = FunctionExpert("no-early-digits") { step in
///     step.generatedCount < 10 ? .sparse(ids: digits, values: digits.map { _ in -.infinity }) : .none
/// }
/// ```
///
/// An expert that must remember what it saw between steps conforms to ``Expert`` with an
/// ``ExpertState`` of its own.
public struct FunctionExpert: Expert {
    /// The name traces show.
    public let name: String
    private let score: @Sendable (ExpertStep) throws -> ExpertScores

    /// An expert named `name` (for traces) that scores each step with `score`.
    public init(_ name: String, score: @escaping @Sendable (ExpertStep) throws -> ExpertScores) {
        self.name = name
        self.score = score
    }

    /// State that calls the function at each step and ignores accepted tokens.
    public func start(_ prompt: Prompt) -> any ExpertState { State(score: score) }

    private final class State: ExpertState {
        let score: (ExpertStep) throws -> ExpertScores
        init(score: @escaping (ExpertStep) throws -> ExpertScores) { self.score = score }
        func scores(_ step: ExpertStep) throws -> ExpertScores { try score(step) }
        func accept(_ token: TokenID) {}
    }
}
