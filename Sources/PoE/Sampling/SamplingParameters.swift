/// How the next token is chosen from the product's distribution: greedy by default.
///
/// The chain runs temperature, top-k, top-p, min-p, then a draw from a seeded generator (or, at
/// temperature 0, the most likely token).
public struct SamplingParameters: Sendable, Equatable, Codable {
    /// 0 chooses the most likely token (greedy); otherwise logits are divided by it before the draw.
    public var temperature: Float
    /// Keep the `topK` most likely tokens (nil or 0: all).
    public var topK: Int?
    /// Keep the most likely tokens whose probabilities sum to at least `topP` (nil or 1: all).
    public var topP: Float?
    /// Keep tokens at least `minP` times as likely as the most likely one (nil or 0: all).
    public var minP: Float?
    /// Seeds the sequence's own random generator: the same seed gives the same draws.
    public var seed: UInt64

    /// Sampling with these settings; the defaults are greedy.
    public init(temperature: Float = 0, topK: Int? = nil, topP: Float? = nil, minP: Float? = nil, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.seed = seed
    }

    /// The most likely token at every step.
    public static let greedy = SamplingParameters()

    /// Whether the most likely token is always chosen (temperature 0).
    public var isGreedy: Bool { temperature <= 0 }

    enum CodingKeys: String, CodingKey {
        case temperature, topK = "top_k", topP = "top_p", minP = "min_p", seed
    }
}

/// A small, fast, seedable random number generator (SplitMix64), one per sequence.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose draws are fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1), with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
