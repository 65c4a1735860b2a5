import Foundation
import PoE

/// A judge's verdict on one instruction for one comparison, from the two orders it was asked in.
public struct PairVerdict: Sendable, Equatable {
    /// The probability the judge prefers the rule set's response, averaged over the two orders.
    public var preference: Double
    /// Win, tie or loss.
    public var outcome: Outcome
    /// The rule set's response's length minus the other's, in characters.
    public var lengthDifference: Double

    /// Both orders chose the rule set's response (win), both chose the other (loss), or they disagreed:
    /// the judge went by position, not by the responses (tie). (An order whose probability is exactly
    /// one half chose neither, and the other order decides.)
    public enum Outcome: Sendable, Equatable {
        /// Both orders chose the rule set's response.
        case win
        /// The orders disagreed.
        case tie
        /// Both orders chose the other.
        case loss
    }

    /// The verdict from P(A) when the rule set's response was A, and P(A) when it was B.
    public init(subjectFirst: Double, subjectSecond: Double, lengthDifference: Double) {
        preference = (subjectFirst + (1 - subjectSecond)) / 2
        let first = subjectFirst > 0.5 ? 1 : subjectFirst < 0.5 ? -1 : 0
        let second = subjectSecond < 0.5 ? 1 : subjectSecond > 0.5 ? -1 : 0
        outcome = first + second > 0 ? .win : first + second < 0 ? .loss : .tie
        self.lengthDifference = lengthDifference
    }
}

/// One comparison's result over the instructions: a rule set against the references or another rule set.
public struct WinRate: Sendable, Codable, Equatable {
    /// The rule set judged.
    public var ruleSet: String
    /// "reference", or the other rule set's name.
    public var against: String
    /// Instructions with a verdict; wins, ties and losses among them.
    public var judged: Int
    /// Instructions both orders gave to the rule set.
    public var wins: Int
    /// Instructions where the orders disagreed.
    public var ties: Int
    /// Instructions both orders gave to the other side.
    public var losses: Int
    /// Instructions where the judge's answer, in either order, read as neither response.
    public var unparseable: Int
    /// Instructions not judged: a response missing or failed, or the judge failing after its retries.
    public var missing: Int
    /// The mean preference for the rule set's response, and its bootstrap 95 % interval.
    public var winRate: Double?
    /// The win rate's bootstrap 95 % interval, low and high.
    public var winRateInterval: [Double]?
    /// The win rate with the length difference's effect taken out (AlpacaEval 2's idea), and its interval.
    public var lengthControlledWinRate: Double?
    /// The length-controlled rate's bootstrap 95 % interval.
    public var lengthControlledInterval: [Double]?

    enum CodingKeys: String, CodingKey {
        case judged, wins, ties, losses, unparseable, missing, against
        case ruleSet = "rule_set", winRate = "win_rate", winRateInterval = "win_rate_interval"
        case lengthControlledWinRate = "length_controlled_win_rate", lengthControlledInterval = "length_controlled_win_rate_interval"
    }

    /// The rates over `verdicts`, with their intervals (a fixed seed, so the same verdicts give the same
    /// numbers).
    public init(ruleSet: String, against: String, verdicts: [PairVerdict], unparseable: Int, missing: Int) {
        self.ruleSet = ruleSet
        self.against = against
        judged = verdicts.count
        wins = verdicts.filter { $0.outcome == .win }.count
        ties = verdicts.filter { $0.outcome == .tie }.count
        losses = verdicts.filter { $0.outcome == .loss }.count
        self.unparseable = unparseable
        self.missing = missing
        guard !verdicts.isEmpty else { return }
        let preferences = verdicts.map(\.preference)
        winRate = preferences.reduce(0, +) / Double(preferences.count)
        lengthControlledWinRate = Self.lengthControlled(verdicts)
        // The same resamples of instructions for both intervals; a fixed seed, so a report is reproducible.
        var generator = SeededGenerator(seed: 0x5EED_2024)
        var plain: [Double] = [], controlled: [Double] = []
        for _ in 0 ..< Self.resamples {
            let sample = (0 ..< verdicts.count).map { _ in verdicts[Int(generator.next() % UInt64(verdicts.count))] }
            plain.append(sample.map(\.preference).reduce(0, +) / Double(sample.count))
            if let value = Self.lengthControlled(sample) { controlled.append(value) }
        }
        winRateInterval = Self.percentileInterval(plain)
        lengthControlledInterval = controlled.isEmpty ? nil : Self.percentileInterval(controlled)
    }

    static let resamples = 2000

    /// The 2.5th and 97.5th percentiles.
    static func percentileInterval(_ values: [Double]) -> [Double] {
        let sorted = values.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count - 1)).rounded())))] }
        return [at(0.025), at(0.975)]
    }

    /// Fits P(prefer the rule set) = σ(θ + φ·tanh(Δ / sd(Δ))) to the preferences (soft labels, by Newton's
    /// method on the log-likelihood, a small ridge on φ so that lengths that separate the outcomes
    /// perfectly do not send it to infinity), and returns σ(θ): the preference when the lengths are equal.
    /// Δ is the length difference; AlpacaEval 2 fits the same length term (it also fits an instruction
    /// difficulty across many models, which one bench does not have).
    static func lengthControlled(_ verdicts: [PairVerdict]) -> Double? {
        guard !verdicts.isEmpty else { return nil }
        let deltas = verdicts.map(\.lengthDifference)
        let mean = deltas.reduce(0, +) / Double(deltas.count)
        let sd = (deltas.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(deltas.count)).squareRoot()
        let x = deltas.map { sd > 0 ? tanh($0 / sd) : 0 }
        let y = verdicts.map(\.preference)
        let ridge = 1e-2
        var theta = 0.0, phi = 0.0
        for _ in 0 ..< 50 {
            // Gradient and Hessian of the negative log-likelihood (plus ridge/2·φ²).
            var g0 = 0.0, g1 = ridge * phi, h00 = 0.0, h01 = 0.0, h11 = ridge
            for i in x.indices {
                let p = 1 / (1 + exp(-(theta + phi * x[i])))
                let w = max(p * (1 - p), 1e-12)
                g0 += p - y[i]
                g1 += (p - y[i]) * x[i]
                h00 += w
                h01 += w * x[i]
                h11 += w * x[i] * x[i]
            }
            let determinant = h00 * h11 - h01 * h01
            guard determinant > 1e-18 else { break }
            let step0 = (h11 * g0 - h01 * g1) / determinant
            let step1 = (h00 * g1 - h01 * g0) / determinant
            theta -= max(-5, min(5, step0))
            phi -= max(-5, min(5, step1))
            if abs(step0) + abs(step1) < 1e-10 { break }
        }
        return 1 / (1 + exp(-theta))
    }
}

/// The judge's results in a report (`report.json`'s `judge`).
public struct JudgeResults: Sendable, Codable, Equatable {
    /// The judge model's name.
    public var model: String
    /// Where it was asked.
    public var url: String
    /// The version of the prompt's wording.
    public var promptVersion: Int
    /// One entry per comparison.
    public var winRates: [WinRate]

    /// Results with the current prompt's version.
    public init(model: String, url: String, winRates: [WinRate]) {
        self.model = model
        self.url = url
        promptVersion = JudgePrompt.version
        self.winRates = winRates
    }

    enum CodingKeys: String, CodingKey {
        case model, url
        case promptVersion = "prompt_version", winRates = "win_rates"
    }
}
