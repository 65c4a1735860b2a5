import PoE

/// Raises the EOS logit as the response grows, so the model learns to stop: the paper's first rule.
///
/// With `n` response tokens so far, the bonus is `peak · (n − start) / (end − start)` for
/// `start < n < end`; nothing up to `start`; and after `end`, nothing (`zero`, as the reference code does)
/// or the peak (`hold`).
public struct EOSRamp: Expert {
    /// What the ramp gives from `end` on.
    public enum AfterEnd: String, Sendable, Codable, CaseIterable {
        /// Nothing (as the paper's code does).
        case zero
        /// The peak, from then on.
        case hold
    }

    /// Response tokens before the ramp starts rising.
    public var start: Int
    /// Response tokens at which the ramp reaches `peak` (and ends).
    public var end: Int
    /// The largest bonus, added to EOS's logit.
    public var peak: Float
    /// The bonus from `end` on.
    public var afterEnd: AfterEnd
    /// The token the bonus goes to: the vocabulary's EOS.
    public let eos: TokenID

    /// A ramp on `eos`; the defaults are the paper's (`+15·n/250` for `0 < n < 250`, nothing after).
    public init(eos: TokenID, start: Int = 0, end: Int = 250, peak: Float = 15, afterEnd: AfterEnd = .zero) {
        self.eos = eos
        self.start = start
        self.end = end
        self.peak = peak
        self.afterEnd = afterEnd
    }

    public var name: String { "eosRamp" }

    /// The bonus before the next token when `n` response tokens precede it.
    public func bonus(afterResponseTokens n: Int) -> Float {
        if n >= end { return afterEnd == .hold ? peak : 0 }
        guard n > start else { return 0 }
        // In Double, as the reference computes it, then stored as Float.
        return Float(Double(peak) * Double(n - start) / Double(end - start))
    }

    public func check(vocabulary: Vocabulary) throws {
        guard vocabulary.contains(eos) else { throw RuleError.tokenOutOfRange(expert: name, id: eos, vocabularySize: vocabulary.count) }
    }

    public func start(_ prompt: Prompt) throws -> any ExpertState { State(ramp: self) }

    final class State: ExpertState {
        let ramp: EOSRamp
        init(ramp: EOSRamp) { self.ramp = ramp }

        func scores(_ step: ExpertStep) -> ExpertScores {
            let bonus = ramp.bonus(afterResponseTokens: step.generatedCount)
            return bonus == 0 ? .none : .sparse(ids: [ramp.eos], values: [bonus])
        }

        func accept(_ token: TokenID) {}
    }
}
