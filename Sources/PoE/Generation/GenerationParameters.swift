/// What a generation produces and when it stops.
public struct GenerationParameters: Sendable {
    /// How an instruction is framed as a prompt.
    public var template: PromptTemplate
    /// Stop after this many response tokens.
    public var maxTokens: Int
    /// How each token is chosen from the product (greedy by default).
    public var sampling: SamplingParameters
    /// Stop as soon as the response contains one of these; the stop string is not part of the text.
    public var stopStrings: [String]
    /// Record a `TraceRecord` for every token.
    public var trace: Bool
    /// With `trace`, each record lists this many of the product's most likely tokens (`alternatives`).
    public var topAlternatives: Int
    /// Never end at an end-of-generation token: they are excluded from the product (their scores set to
    /// -infinity), as llama.cpp's `ignore_eos` does, so the response runs to `maxTokens` or a stop string.
    public var ignoreEndOfGeneration: Bool

    /// Parameters for a generation; the defaults are the Tulu template, 256 tokens, greedy.
    public init(
        template: PromptTemplate = .tulu, maxTokens: Int = 256, sampling: SamplingParameters = .greedy,
        stopStrings: [String] = [], trace: Bool = false, topAlternatives: Int = 0, ignoreEndOfGeneration: Bool = false
    ) {
        self.template = template
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stopStrings = stopStrings
        self.trace = trace
        self.topAlternatives = topAlternatives
        self.ignoreEndOfGeneration = ignoreEndOfGeneration
    }
}

/// Why a generation ended.
public enum StopReason: String, Sendable, Codable {
    /// The model chose an end-of-generation token (EOS, end of turn, ...).
    case endOfGeneration = "eos"
    /// `maxTokens` were generated.
    case length
    /// The sequence filled the model's context before `maxTokens`.
    case contextFull = "context_full"
    /// A stop string appeared.
    case stop
}

/// How long a generation took.
public struct GenerationTimings: Sendable, Codable, Equatable {
    /// Time to run the prompt through the model.
    public var promptSeconds: Double
    /// Time from the first response token to the last.
    public var generationSeconds: Double
    /// Prompt tokens run per second.
    public var promptTokensPerSecond: Double
    /// Response tokens generated per second.
    public var generationTokensPerSecond: Double

    /// Timings as measured.
    public init(promptSeconds: Double, generationSeconds: Double, promptTokensPerSecond: Double, generationTokensPerSecond: Double) {
        self.promptSeconds = promptSeconds
        self.generationSeconds = generationSeconds
        self.promptTokensPerSecond = promptTokensPerSecond
        self.generationTokensPerSecond = generationTokensPerSecond
    }

    enum CodingKeys: String, CodingKey {
        case promptSeconds = "prompt_seconds", generationSeconds = "generation_seconds"
        case promptTokensPerSecond = "prompt_tokens_per_second", generationTokensPerSecond = "generation_tokens_per_second"
    }
}

/// A finished generation.
public struct GenerationResult: Sendable {
    /// The response text (without the stop string or end-of-generation token).
    public var text: String
    /// The response tokens, without the end-of-generation token.
    public var tokens: [TokenID]
    /// The end-of-generation token that ended it (with `stopReason` `.endOfGeneration`).
    public var stopToken: TokenID?
    /// How many tokens the prompt had.
    public var promptTokens: Int
    /// Why the generation ended.
    public var stopReason: StopReason
    /// How long the prompt and the response took.
    public var timings: GenerationTimings
    /// One record per chosen token (the end-of-generation one included), when asked for.
    public var trace: [TraceRecord]

    /// A result as generated.
    public init(
        text: String, tokens: [TokenID], stopToken: TokenID?, promptTokens: Int, stopReason: StopReason,
        timings: GenerationTimings, trace: [TraceRecord] = []
    ) {
        self.text = text
        self.tokens = tokens
        self.stopToken = stopToken
        self.promptTokens = promptTokens
        self.stopReason = stopReason
        self.timings = timings
        self.trace = trace
    }
}

/// What a streaming generation reports.
public enum GenerationEvent: Sendable {
    /// More response text; it never splits a character, and grows the text in order.
    case text(String)
    /// A token was chosen (only with `trace`).
    case token(TraceRecord)
    /// The generation ended: the last event, with the whole result.
    case finished(GenerationResult)
}
