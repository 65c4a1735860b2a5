import PoE

/// The repetition penalty of transformers and llama.cpp, for compatibility: each used token's raw logit
/// is divided by `penalty` when positive and multiplied by it when negative.
///
/// It is not additive in log space (it depends on the logit's sign), so as an expert its score is the
/// change it makes to the base model's raw logit. Prefer `RepetitionPenalty` for new rule sets.
public struct MultiplicativeRepetitionPenalty: Expert {
    /// Positive logits of used tokens are divided by it, negative ones multiplied (above 0).
    public var penalty: Float
    /// Which tokens count as used.
    public var scope: RepetitionPenalty.Scope

    /// A penalty over the last 64 tokens by default, as llama.cpp's.
    public init(penalty: Float = 1.1, scope: RepetitionPenalty.Scope = .window(64)) {
        self.penalty = penalty
        self.scope = scope
    }

    public var name: String { "multiplicativeRepetition" }

    public func start(_ prompt: Prompt) throws -> any ExpertState { State(penalty: self) }

    final class State: ExpertState {
        let penalty: MultiplicativeRepetitionPenalty
        init(penalty: MultiplicativeRepetitionPenalty) { self.penalty = penalty }

        func scores(_ step: ExpertStep) -> ExpertScores {
            var ids: [TokenID] = []
            var seen: Set<TokenID> = []
            for token in scopedTokens(step, penalty.scope) where seen.insert(token).inserted { ids.append(token) }
            return .sparse(ids: ids, values: ids.map { id in
                let logit = step.baseLogits[Int(id)]
                return (logit > 0 ? logit / penalty.penalty : logit * penalty.penalty) - logit
            })
        }

        func accept(_ token: TokenID) {}
    }
}
