import PoE

/// Raises the EOS logit as the response grows, so the model learns to stop: the paper's first rule.
///
/// With `n` response tokens so far, the bonus is `peak · (n − start) / (end − start)` for
/// `start < n < end`; nothing up to `start`; and after `end`, nothing (`zero`, as the reference code does)
/// or the peak (`hold`).
public struct EOSRamp: Expert {
    public enum AfterEnd: String, Sendable, Codable, CaseIterable {
        case zero
        case hold
    }

    public var start: Int
    public var end: Int
    public var peak: Float
    public var afterEnd: AfterEnd
    /// The token the bonus goes to: the vocabulary's EOS.
    public let eos: TokenID

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
