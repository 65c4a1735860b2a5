/// How an instruction is framed for the model: markup before it and after it, up to where the response
/// starts. Markup may hold special tokens; the instruction is always tokenized as plain text.
public struct PromptTemplate: Sendable, Equatable {
    public let name: String
    public let prefix: String
    public let suffix: String

    public init(name: String, prefix: String, suffix: String) {
        self.name = name
        self.prefix = prefix
        self.suffix = suffix
    }

    /// The format Hewitt et al. used for base models (Tulu's): `<|user|>\n{instruction}\n<|assistant|>\n`.
    public static let tulu = PromptTemplate(name: "tulu", prefix: "<|user|>\n", suffix: "\n<|assistant|>\n")
    /// ChatML, as SmolLM2 and Qwen use it (no system turn).
    public static let chatml = PromptTemplate(
        name: "chatml", prefix: "<|im_start|>user\n", suffix: "<|im_end|>\n<|im_start|>assistant\n")
    /// Gemma's turns.
    public static let gemma = PromptTemplate(
        name: "gemma", prefix: "<start_of_turn>user\n", suffix: "<end_of_turn>\n<start_of_turn>model\n")
    /// The instruction alone: a plain completion.
    public static let raw = PromptTemplate(name: "raw", prefix: "", suffix: "")

    public static let all: [PromptTemplate] = [tulu, chatml, gemma, raw]

    public static func named(_ name: String) -> PromptTemplate? { all.first { $0.name == name } }

    /// The instruction framed and tokenized (with BOS where the model asks for it).
    public func prompt(for instruction: String, tokenizer: some Tokenizer) throws -> Prompt {
        let encoded = try tokenizer.encode(
            segments: [
                TextSegment(prefix, parseSpecial: true),
                TextSegment(instruction, parseSpecial: false),
                TextSegment(suffix, parseSpecial: true),
            ],
            addSpecial: true)
        return Prompt(tokens: encoded.ids, instructionStart: encoded.segmentRanges[1].lowerBound)
    }
}

/// A tokenized prompt and where its parts start, which experts use to know what they look at.
public struct Prompt: Sendable, Equatable {
    public let tokens: [TokenID]
    /// The index of the instruction's first token: the user's turn, less its opening markup.
    public let instructionStart: Int

    public init(tokens: [TokenID], instructionStart: Int) {
        self.tokens = tokens
        self.instructionStart = instructionStart
    }

    /// The index where the response starts: the prompt's length.
    public var responseStart: Int { tokens.count }
}
