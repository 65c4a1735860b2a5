/// One row of the benchmark's table: a rule set's measures over its finished records (docs/bench.md).
public struct RuleSetSummary: Sendable, Codable, Equatable {
    /// The rule set's name.
    public var ruleSet: String
    /// Responses generated so far, and references scored so far.
    public var generated: Int
    /// References scored so far.
    public var scored: Int
    /// Instructions for which no response could be generated (each record says why); the measures leave
    /// them out.
    public var failed: Int
    /// The share of responses that ended with an end-of-generation token (before the token limit).
    public var terminationRate: Double?
    /// The mean length of the responses, in tokens.
    public var meanLength: Double?
    /// Their median length.
    public var medianLength: Double?
    /// The share of responses that repeat their instruction.
    public var echoRate: Double?
    /// The share of responses that write a new turn.
    public var turnLeakRate: Double?
    /// The mean, over responses of four words or more, of each one's share of repeated 4-grams.
    public var selfRepetition: Double?
    /// Distinct bigrams over all bigrams of all the responses.
    public var distinct2: Double?
    /// The mean, over scored references, of each one's mean per-token log-probability.
    public var referenceLogLikelihood: Double?
    /// Generated tokens over the wall-clock time of this rule set's generations.
    public var tokensPerSecond: Double?

    enum CodingKeys: String, CodingKey {
        case generated, scored, failed
        case ruleSet = "rule_set", terminationRate = "termination_rate", meanLength = "mean_length"
        case medianLength = "median_length", echoRate = "echo_rate", turnLeakRate = "turn_leak_rate"
        case selfRepetition = "self_repetition", distinct2 = "distinct_2"
        case referenceLogLikelihood = "reference_log_likelihood", tokensPerSecond = "tokens_per_second"
    }

    /// The row of `entry` over `records` (its own are picked out).
    public init(_ entry: RuleSetEntry, records: [BenchRecord]) {
        ruleSet = entry.name
        let done = records.filter { $0.isGenerated && !$0.isFailed }
        generated = done.count
        failed = records.filter(\.isFailed).count
        let lengths = done.compactMap(\.metrics.length).map(Double.init)
        terminationRate = Self.rate(done.map { $0.metrics.terminated ?? false })
        meanLength = Self.mean(lengths)
        medianLength = Self.median(lengths)
        echoRate = Self.rate(done.map { $0.metrics.echo ?? false })
        turnLeakRate = Self.rate(done.map { $0.metrics.turnLeak ?? false })
        selfRepetition = Self.mean(done.compactMap(\.metrics.selfRepetition))
        distinct2 = done.isEmpty ? nil : TextMetrics.distinct2(done.compactMap(\.text))
        let likelihoods = records.filter(\.hasReference).compactMap(\.metrics.referenceLogLikelihood)
        scored = likelihoods.count
        referenceLogLikelihood = Self.mean(likelihoods)
        tokensPerSecond = entry.generationSeconds > 0 ? Double(entry.generatedTokens) / entry.generationSeconds : nil
    }

    static func rate(_ flags: [Bool]) -> Double? {
        flags.isEmpty ? nil : Double(flags.filter { $0 }.count) / Double(flags.count)
    }

    static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
