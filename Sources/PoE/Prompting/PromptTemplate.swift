/// How a conversation is framed for a model: markup around each message by its role, and the markup
/// that opens the response. Markup may hold special tokens; message contents are always tokenized as
/// plain text, so no message can forge one.
///
/// The chat families are those llama.cpp's `llama_chat_apply_template` renders, with the same text
/// (`ChatTemplateTests` holds its renderings), and Tulu's, which Hewitt et al. used for base models.
public struct PromptTemplate: Sendable, Equatable {
    /// The markup before and after a message of one role.
    public struct Turn: Sendable, Equatable {
        /// The markup before the message.
        public var prefix: String
        /// The markup after the message.
        public var suffix: String

        /// A turn that wraps a message in `prefix` and `suffix`.
        public init(_ prefix: String, _ suffix: String) {
            self.prefix = prefix
            self.suffix = suffix
        }
    }

    /// The template's name (`tulu`, `chatml`, ...), as the CLI and the server take it.
    public let name: String
    /// The markup around a user's message.
    public let user: Turn
    /// The markup around a past response.
    public let assistant: Turn
    /// The system turn; nil where the family has none, and system messages join the next user message,
    /// followed by `systemSeparator` (Gemma).
    public let system: Turn?
    /// What follows system text where it joins the next user message.
    public let systemSeparator: String
    /// What opens the response.
    public let generationPrompt: String
    /// Whether contents lose their leading and trailing white space (ASCII's, as llama.cpp's `trim`).
    public let trimsContents: Bool
    /// Whether past responses do (Mistral v3), when other contents do not.
    public let trimsResponses: Bool
    /// Whether system text that no user message follows still opens a user turn, followed by the
    /// separator (Mistral v1 and v3); otherwise it is dropped.
    public let keepsUnansweredSystem: Bool

    /// A template from its turns; `generationPrompt` opens the response.
    public init(
        name: String, user: Turn, assistant: Turn, system: Turn?, systemSeparator: String = "\n\n", generationPrompt: String,
        trimsContents: Bool = false, trimsResponses: Bool = false, keepsUnansweredSystem: Bool = false
    ) {
        self.name = name
        self.user = user
        self.assistant = assistant
        self.system = system
        self.systemSeparator = systemSeparator
        self.generationPrompt = generationPrompt
        self.trimsContents = trimsContents
        self.trimsResponses = trimsResponses
        self.keepsUnansweredSystem = keepsUnansweredSystem
    }

    /// A template for single instructions: `prefix`, the instruction, `suffix`.
    public init(name: String, prefix: String, suffix: String) {
        self.init(name: name, user: Turn(prefix, ""), assistant: Turn("", ""), system: nil, generationPrompt: suffix)
    }

    /// The markup before an instruction, and after it up to the response.
    public var prefix: String { user.prefix }
    /// The markup after an instruction, up to the response.
    public var suffix: String { user.suffix + generationPrompt }

    /// The format Hewitt et al. used for base models (Tulu's): `<|user|>\n{instruction}\n<|assistant|>\n`.
    /// In a conversation, a past response ends with `<|endoftext|>` (Tulu's and OLMo 2's EOS) and a newline.
    public static let tulu = PromptTemplate(
        name: "tulu", user: Turn("<|user|>\n", "\n"), assistant: Turn("<|assistant|>\n", "<|endoftext|>\n"),
        system: Turn("<|system|>\n", "\n"), generationPrompt: "<|assistant|>\n")
    /// ChatML, as SmolLM2 and Qwen use it (no default system turn).
    public static let chatml = PromptTemplate(
        name: "chatml", user: Turn("<|im_start|>user\n", "<|im_end|>\n"), assistant: Turn("<|im_start|>assistant\n", "<|im_end|>\n"),
        system: Turn("<|im_start|>system\n", "<|im_end|>\n"), generationPrompt: "<|im_start|>assistant\n")
    /// Gemma's turns (Gemma, Gemma 2, Gemma 3): the model's turn is `model`; system text opens the next
    /// user turn.
    public static let gemma = PromptTemplate(
        name: "gemma", user: Turn("<start_of_turn>user\n", "<end_of_turn>\n"), assistant: Turn("<start_of_turn>model\n", "<end_of_turn>\n"),
        system: nil, generationPrompt: "<start_of_turn>model\n", trimsContents: true)
    /// Llama 3's headers.
    public static let llama3 = PromptTemplate(
        name: "llama3", user: Turn("<|start_header_id|>user<|end_header_id|>\n\n", "<|eot_id|>"),
        assistant: Turn("<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>"),
        system: Turn("<|start_header_id|>system<|end_header_id|>\n\n", "<|eot_id|>"),
        generationPrompt: "<|start_header_id|>assistant<|end_header_id|>\n\n", trimsContents: true)
    /// Phi-3's turns.
    public static let phi3 = PromptTemplate(
        name: "phi3", user: Turn("<|user|>\n", "<|end|>\n"), assistant: Turn("<|assistant|>\n", "<|end|>\n"),
        system: Turn("<|system|>\n", "<|end|>\n"), generationPrompt: "<|assistant|>\n")
    /// Mistral's v7 turns (Mistral Large 2411, Small 3), with a system turn of its own.
    public static let mistralV7 = PromptTemplate(
        name: "mistral-v7", user: Turn("[INST] ", "[/INST]"), assistant: Turn(" ", "</s>"),
        system: Turn("[SYSTEM_PROMPT] ", "[/SYSTEM_PROMPT]"), generationPrompt: "")
    /// Mistral's v7 "tekken" turns (Mistral Small 3.1): no spaces around the tags.
    public static let mistralV7Tekken = PromptTemplate(
        name: "mistral-v7-tekken", user: Turn("[INST]", "[/INST]"), assistant: Turn("", "</s>"),
        system: Turn("[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]"), generationPrompt: "")
    /// Mistral's v1 turns (Mistral 7B Instruct v0.1): system text opens the next user turn.
    public static let mistralV1 = PromptTemplate(
        name: "mistral-v1", user: Turn(" [INST] ", " [/INST]"), assistant: Turn(" ", "</s>"), system: nil,
        generationPrompt: "", keepsUnansweredSystem: true)
    /// Mistral's v3 turns (Mistral 7B Instruct v0.3, Mixtral): responses trimmed.
    public static let mistralV3 = PromptTemplate(
        name: "mistral-v3", user: Turn("[INST] ", "[/INST]"), assistant: Turn(" ", "</s>"), system: nil,
        generationPrompt: "", trimsResponses: true, keepsUnansweredSystem: true)
    /// Mistral's v3 "tekken" turns (Mistral Nemo): no spaces around the tags.
    public static let mistralV3Tekken = PromptTemplate(
        name: "mistral-v3-tekken", user: Turn("[INST]", "[/INST]"), assistant: Turn("", "</s>"), system: nil,
        generationPrompt: "", keepsUnansweredSystem: true)
    /// The text alone: a plain completion (a conversation's contents one after another, as they are).
    public static let raw = PromptTemplate(name: "raw", user: Turn("", ""), assistant: Turn("", ""), system: Turn("", ""), generationPrompt: "")

    /// Every built-in template.
    public static let all: [PromptTemplate] = [tulu, chatml, gemma, llama3, phi3, mistralV7, mistralV7Tekken, mistralV1, mistralV3, mistralV3Tekken, raw]

    /// The built-in template with this name, if there is one.
    public static func named(_ name: String) -> PromptTemplate? { all.first { $0.name == name } }

    /// The family of a model's Jinja chat template (GGUF `tokenizer.chat_template`), recognised as
    /// llama.cpp's `llm_chat_detect_template` does, in its order; nil for a family swift-poe does not
    /// render (Llama 2's `[INST]`, Phi-4, DeepSeek, ...).
    public static func recognizing(chatTemplate text: String) -> PromptTemplate? {
        if let named = named(text) { return named }
        if text.contains("<|im_start|>") {
            return text.contains("<|im_sep|>") || text.contains("<end_of_utterance>") ? nil : chatml
        }
        if text.hasPrefix("mistral") || text.contains("[INST]") {
            if text.contains("[SYSTEM_PROMPT]") { return mistralV7 }
            // Mistral's official v1 and v3 templates; llama.cpp reads any other `[INST]` template as Llama 2's.
            guard text.contains("' [INST] ' + system_message") || text.contains("[AVAILABLE_TOOLS]") else { return nil }
            if text.contains(" [INST]") { return mistralV1 }
            return text.contains("\"[INST]\"") ? mistralV3Tekken : mistralV3
        }
        if text.contains("<|assistant|>") && text.contains("<|end|>") { return phi3 }
        if text.contains("[gMASK]<sop>") { return nil }
        // llama.cpp reads these as Falcon 3's or GLM-Edge's; Tulu's and OLMo 2's end a response with EOS.
        if text.contains("<|assistant|>") && text.contains("<|user|>") { return text.contains("eos_token") ? tulu : nil }
        if text.contains("<start_of_turn>") { return gemma }
        if text.contains("<|start_header_id|>") && text.contains("<|end_header_id|>") { return llama3 }
        return nil
    }

    /// The instruction framed as one user message and tokenized (with BOS where the model asks for it).
    public func prompt(for instruction: String, tokenizer: some Tokenizer) throws -> Prompt {
        try prompt(for: [ChatMessage(role: .user, content: instruction)], tokenizer: tokenizer)
    }

    /// The conversation framed and tokenized, ending with the markup that opens the response. The
    /// prompt's instruction is the last user message.
    public func prompt(for messages: [ChatMessage], tokenizer: some Tokenizer) throws -> Prompt {
        let (segments, instruction) = segments(for: messages)
        let encoded = try tokenizer.encode(segments: segments, addSpecial: true)
        return Prompt(tokens: encoded.ids, instructionStart: instruction.map { encoded.segmentRanges[$0].lowerBound } ?? 0)
    }

    /// The conversation as text segments (markup, in which special tokens are parsed, and contents, in
    /// which they are not), and the index of the last user message's content among them. As llama.cpp
    /// does, system messages in a family without a system turn open the next user message, and are
    /// dropped when none follows.
    public func segments(for messages: [ChatMessage]) -> (segments: [TextSegment], instruction: Int?) {
        var segments: [TextSegment] = []
        var instruction: Int?
        var pendingSystem: [String] = []
        func add(_ turn: Turn, _ content: String) {
            if !turn.prefix.isEmpty { segments.append(TextSegment(turn.prefix, parseSpecial: true)) }
            segments.append(TextSegment(content, parseSpecial: false))
            if !turn.suffix.isEmpty { segments.append(TextSegment(turn.suffix, parseSpecial: true)) }
        }
        for message in messages {
            let trims = trimsContents || (trimsResponses && message.role == .assistant)
            let content = trims ? message.content.trimmingASCIIWhiteSpace : message.content
            switch message.role {
            case .system:
                if let system { add(system, content) } else { pendingSystem.append(content) }
            case .user:
                let joined = pendingSystem.isEmpty ? content : (pendingSystem + [content]).joined(separator: systemSeparator)
                pendingSystem = []
                instruction = segments.count + (user.prefix.isEmpty ? 0 : 1)
                add(user, joined)
            case .assistant:
                add(assistant, content)
            }
        }
        if keepsUnansweredSystem, !pendingSystem.isEmpty {
            if !user.prefix.isEmpty { segments.append(TextSegment(user.prefix, parseSpecial: true)) }
            segments.append(TextSegment(pendingSystem.joined(separator: systemSeparator) + systemSeparator, parseSpecial: false))
        }
        if !generationPrompt.isEmpty { segments.append(TextSegment(generationPrompt, parseSpecial: true)) }
        return (segments, instruction)
    }
}

/// One message of a conversation.
public struct ChatMessage: Sendable, Equatable, Codable {
    /// Who wrote a message.
    public enum Role: String, Sendable, Codable, CaseIterable {
        /// Instructions about the conversation itself.
        case system
        /// The person the model answers.
        case user
        /// The model.
        case assistant
    }

    /// Who wrote it.
    public var role: Role
    /// Its text.
    public var content: String

    /// A message.
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }
}

extension String {
    /// Without leading and trailing ASCII white space (space, tab, newline, vertical tab, form feed,
    /// carriage return): C's `isspace`, which llama.cpp's templates trim with.
    var trimmingASCIIWhiteSpace: String {
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09 ... 0x0D).contains(byte) }
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[first ... last], as: UTF8.self)
    }
}

/// A tokenized prompt and where its parts start, which experts use to know what they look at.
public struct Prompt: Sendable, Equatable {
    /// The prompt's tokens, BOS included where the model adds it.
    public let tokens: [TokenID]
    /// The index of the instruction's first token: the user's turn, less its opening markup.
    public let instructionStart: Int

    /// A prompt whose instruction starts at `instructionStart`.
    public init(tokens: [TokenID], instructionStart: Int) {
        self.tokens = tokens
        self.instructionStart = instructionStart
    }

    /// The index where the response starts: the prompt's length.
    public var responseStart: Int { tokens.count }
}
