import PoE

/// One line of `poe distill`'s output: a passage's first half as the instruction, the teacher's
/// continuation as the output (the format `poe train --format instruction` reads).
public struct DistillRecord: Sendable, Codable, Equatable {
    /// The passage's first half.
    public var instruction: String
    /// The teacher's continuation.
    public var output: String
    /// The passage's place in the corpus (from 0).
    public var sourceIndex: Int
    /// The teacher, as the command named it: model, adapters and rule sets.
    public var teacher: String
    /// Why the continuation ended.
    public var stopReason: StopReason
    /// Tokens in the continuation.
    public var outputTokens: Int
    /// Tokens in the whole passage.
    public var passageTokens: Int
    /// The passage's own second half, for comparison.
    public var originalContinuation: String

    /// A record.
    public init(
        instruction: String, output: String, sourceIndex: Int, teacher: String, stopReason: StopReason, outputTokens: Int,
        passageTokens: Int, originalContinuation: String
    ) {
        self.instruction = instruction
        self.output = output
        self.sourceIndex = sourceIndex
        self.teacher = teacher
        self.stopReason = stopReason
        self.outputTokens = outputTokens
        self.passageTokens = passageTokens
        self.originalContinuation = originalContinuation
    }

    enum CodingKeys: String, CodingKey {
        case instruction, output, teacher
        case sourceIndex = "source_index", stopReason = "stop_reason", outputTokens = "output_tokens"
        case passageTokens = "passage_tokens", originalContinuation = "original_continuation"
    }
}

/// What determines a distillation's records; a resumed run must have the same.
public struct DistillSettings: Sendable, Codable, Equatable {
    /// The teacher, as the command named it.
    public var teacher: String
    /// The template the first halves were framed with.
    public var template: String
    /// The corpus file's path.
    public var corpus: String
    /// FNV-1a (64-bit) of the corpus file's bytes, and its passage count: a changed corpus is refused.
    public var corpusFingerprint: String
    /// Passages in the corpus.
    public var passages: Int
    /// The first `limit` passages only.
    public var limit: Int?
    /// The longest continuation, in tokens.
    public var maxTokens: Int
    /// The sampler's temperature (0: greedy).
    public var temperature: Float
    /// The sampler's top-k.
    public var topK: Int?
    /// The sampler's top-p.
    public var topP: Float?
    /// The sampler's min-p.
    public var minP: Float?
    /// The sampler's seed.
    public var seed: UInt64
    /// Passages with fewer tokens are skipped.
    public var minimumTokens: Int
    /// Continuations that reach `maxTokens` are dropped.
    public var dropTruncated: Bool
    /// Empty continuations are kept.
    public var keepEmpty: Bool

    /// Settings as given.
    public init(
        teacher: String, template: String, corpus: String, corpusFingerprint: String, passages: Int, limit: Int?, maxTokens: Int,
        sampling: SamplingParameters, minimumTokens: Int, dropTruncated: Bool, keepEmpty: Bool
    ) {
        (self.teacher, self.template, self.corpus, self.corpusFingerprint, self.passages, self.limit) = (teacher, template, corpus, corpusFingerprint, passages, limit)
        (self.maxTokens, temperature, topK, topP, minP, seed) = (maxTokens, sampling.temperature, sampling.topK, sampling.topP, sampling.minP, sampling.seed)
        (self.minimumTokens, self.dropTruncated, self.keepEmpty) = (minimumTokens, dropTruncated, keepEmpty)
    }

    /// The sampler's settings.
    public var sampling: SamplingParameters {
        SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP, seed: seed)
    }

    enum CodingKeys: String, CodingKey {
        case teacher, template, corpus, passages, limit, temperature, seed
        case corpusFingerprint = "corpus_fingerprint", maxTokens = "max_tokens", topK = "top_k", topP = "top_p", minP = "min_p"
        case minimumTokens = "min_tokens", dropTruncated = "drop_truncated", keepEmpty = "keep_empty"
    }

    /// FNV-1a, 64 bits, as hex: enough to notice that a file changed.
    public static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return String(hash, radix: 16)
    }
}

/// A passage that gave no record, and why (too short, a continuation dropped by a filter, a failure).
public struct DistillSkip: Sendable, Codable, Equatable {
    /// The passage's place in the corpus.
    public var sourceIndex: Int
    /// Why it gave no record.
    public var reason: String

    /// A skipped passage.
    public init(sourceIndex: Int, reason: String) {
        self.sourceIndex = sourceIndex
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey { case reason, sourceIndex = "source_index" }
}
