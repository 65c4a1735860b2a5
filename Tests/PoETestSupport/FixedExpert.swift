import PoE

/// A fixed-score expert for tests, sparse or dense: the same scores at every step.
public struct FixedExpert: Expert {
    public let name: String
    public let scores: ExpertScores

    public init(name: String, scores: ExpertScores) {
        self.name = name
        self.scores = scores
    }

    public func start(_ prompt: Prompt) throws -> any ExpertState { State(scores: scores) }

    final class State: ExpertState {
        let fixed: ExpertScores
        init(scores: ExpertScores) { fixed = scores }
        func scores(_ step: ExpertStep) -> ExpertScores { fixed }
        func accept(_ token: TokenID) {}
    }
}
