import PoE

/// OpenAI's (and llama.cpp's) frequency and presence penalties: a token used `c` times loses
/// `c · frequency + (c > 0 ? presence : 0)` from its logit.
public struct FrequencyPresencePenalty: Expert {
    /// Subtracted once for every time a token was used.
    public var frequency: Float
    /// Subtracted once from every token that was used at all.
    public var presence: Float
    /// Which tokens count: the response (as OpenAI), or the last n tokens of the sequence (as llama.cpp).
    public var scope: RepetitionPenalty.Scope

    /// Penalties over the response by default, as OpenAI's API defines them.
    public init(frequency: Float = 0, presence: Float = 0, scope: RepetitionPenalty.Scope = .response) {
        self.frequency = frequency
        self.presence = presence
        self.scope = scope
    }

    public var name: String { "frequencyPresence" }

    public func start(_ prompt: Prompt) throws -> any ExpertState { State(penalty: self) }

    final class State: ExpertState {
        let penalty: FrequencyPresencePenalty
        init(penalty: FrequencyPresencePenalty) { self.penalty = penalty }

        func scores(_ step: ExpertStep) -> ExpertScores {
            var counts: [TokenID: Int] = [:]
            var order: [TokenID] = []
            for token in scopedTokens(step, penalty.scope) {
                if counts[token] == nil { order.append(token) }
                counts[token, default: 0] += 1
            }
            return .sparse(ids: order, values: order.map { id in
                -(Float(counts[id] ?? 0) * penalty.frequency + penalty.presence)
            })
        }

        func accept(_ token: TokenID) {}
    }
}

/// The tokens a penalty looks at.
func scopedTokens(_ step: ExpertStep, _ scope: RepetitionPenalty.Scope) -> ArraySlice<TokenID> {
    switch scope {
    case .instruction: step.tokens[step.prompt.instructionStart...]
    case .response: step.tokens[step.prompt.responseStart...]
    case let .window(n): step.tokens.suffix(max(n, 0))
    }
}
