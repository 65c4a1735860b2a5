import PoE

/// Lowers every token already used, once per distinct token: the paper's second ("diversity") rule.
///
/// This is additive in log space: each distinct id in scope gets `−penalty`, however often it occurred.
/// (For the multiplicative penalty of transformers and llama.cpp see `MultiplicativeRepetitionPenalty`.)
public struct RepetitionPenalty: Expert {
    /// Which tokens count as used.
    public enum Scope: Sendable, Equatable {
        /// From the instruction's first token: the instruction, the template after it, the response (the paper).
        case instruction
        /// The response only.
        case response
        /// The last `n` tokens of the sequence.
        case window(Int)
    }

    /// Subtracted once from each distinct token in scope.
    public var penalty: Float
    /// Which tokens count as used.
    public var scope: Scope
    /// Ids never penalised.
    public var exempt: Set<TokenID>

    /// A penalty; the defaults are the paper's diversity rule.
    public init(penalty: Float = 1.5, scope: Scope = .instruction, exempt: Set<TokenID> = []) {
        self.penalty = penalty
        self.scope = scope
        self.exempt = exempt
    }

    public var name: String { "repetitionPenalty" }

    public func start(_ prompt: Prompt) throws -> any ExpertState {
        let state = State(penalty: self)
        if scope == .instruction {
            for token in prompt.tokens[prompt.instructionStart...] { state.note(token) }
        }
        return state
    }

    final class State: ExpertState {
        let penalty: RepetitionPenalty
        /// Distinct ids in scope, in order of first use, and the same as a set.
        private var ids: [TokenID] = []
        private var seen: Set<TokenID> = []

        init(penalty: RepetitionPenalty) { self.penalty = penalty }

        func note(_ token: TokenID) {
            guard !penalty.exempt.contains(token), seen.insert(token).inserted else { return }
            ids.append(token)
        }

        func scores(_ step: ExpertStep) -> ExpertScores {
            if case let .window(n) = penalty.scope {
                var distinct: [TokenID] = []
                var inWindow: Set<TokenID> = []
                for token in step.tokens.suffix(max(n, 0)) where !penalty.exempt.contains(token) && inWindow.insert(token).inserted {
                    distinct.append(token)
                }
                return .sparse(ids: distinct, values: [Float](repeating: -penalty.penalty, count: distinct.count))
            }
            return .sparse(ids: ids, values: [Float](repeating: -penalty.penalty, count: ids.count))
        }

        func accept(_ token: TokenID) {
            if case .window = penalty.scope { return }  // a window is read from the sequence itself
            note(token)
        }
    }
}
