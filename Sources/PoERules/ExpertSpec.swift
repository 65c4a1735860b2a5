import PoE

/// One expert of a rule set, as written in a file: a `type`, its parameters and a `weight` (default 1).
public struct ExpertSpec: Sendable, Equatable, Codable {
    /// The expert's weight in the product.
    public var weight: Float
    /// Which expert, with its parameters.
    public var kind: Kind

    /// The experts a rule set can name, with their parameters (the fields of a file's entry).
    public enum Kind: Sendable, Equatable {
        /// `EOSRamp` on the model's EOS.
        case eosRamp(start: Int, end: Int, peak: Float, afterEnd: EOSRamp.AfterEnd)
        /// `RepetitionPenalty`, with tokens exempt from it.
        case repetitionPenalty(penalty: Float, scope: RepetitionPenalty.Scope, exempt: [TokenReference])
        /// `TokenBias`: `biases[i]` for `tokens[i]`.
        case tokenBias(tokens: [TokenReference], biases: [Float], unresolvable: TokenBias.Unresolvable)
        /// `StartBias`.
        case startBias(agreements: [String], firstTokenWeight: Float, exclamation: Float, newline: Float)
        /// `FrequencyPresencePenalty`.
        case frequencyPresencePenalty(frequency: Float, presence: Float, scope: RepetitionPenalty.Scope)
        /// `MultiplicativeRepetitionPenalty`.
        case multiplicativeRepetitionPenalty(penalty: Float, scope: RepetitionPenalty.Scope)
        /// `BannedStrings`.
        case bannedStrings([String])
        /// Another model (nil: the base model's own weights) with LoRA adapters, if any.
        case languageModel(model: String?, adapters: [AdapterReference])

        var type: String {
            switch self {
            case .eosRamp: "eosRamp"
            case .repetitionPenalty: "repetitionPenalty"
            case .tokenBias: "tokenBias"
            case .startBias: "startBias"
            case .frequencyPresencePenalty: "frequencyPresencePenalty"
            case .multiplicativeRepetitionPenalty: "multiplicativeRepetitionPenalty"
            case .bannedStrings: "bannedStrings"
            case .languageModel: "languageModel"
            }
        }
    }

    /// An entry for `kind` with `weight`.
    public init(_ kind: Kind, weight: Float = 1) {
        self.kind = kind
        self.weight = weight
    }

    /// Every type and the fields it takes (besides `type` and `weight`).
    static let fields: [String: [String]] = [
        "eosRamp": ["start", "end", "peak", "afterEnd"],
        "repetitionPenalty": ["penalty", "scope", "exempt"],
        "tokenBias": ["tokens", "unresolvable"],
        "startBias": ["agreements", "firstTokenWeight", "exclamation", "newline"],
        "frequencyPresencePenalty": ["frequency", "presence", "scope"],
        "multiplicativeRepetitionPenalty": ["penalty", "scope"],
        "bannedStrings": ["strings"],
        "languageModel": ["model", "lora"],
    ]

    /// The expert itself, built for a model.
    func build(_ context: RuleBuildContext) throws -> any Expert {
        let tokenizer = context.tokenizer
        switch kind {
        case let .eosRamp(start, end, peak, afterEnd):
            guard let eos = tokenizer.vocabulary.eos else { throw RuleError.noEOSToken }
            return EOSRamp(eos: eos, start: start, end: end, peak: peak, afterEnd: afterEnd)
        case let .repetitionPenalty(penalty, scope, exempt):
            return RepetitionPenalty(penalty: penalty, scope: scope, exempt: Set(try resolve(exempt, tokenizer: tokenizer, expert: "repetitionPenalty")))
        case let .tokenBias(tokens, biases, unresolvable):
            guard tokens.count == biases.count else {
                throw RuleError.mismatchedLengths(expert: "tokenBias", first: "tokens", firstCount: tokens.count, second: "biases", secondCount: biases.count)
            }
            return try TokenBias(references: Array(zip(tokens, biases)), tokenizer: tokenizer, unresolvable: unresolvable)
        case let .startBias(agreements, firstTokenWeight, exclamation, newline):
            return StartBias(tokenizer: tokenizer, agreements: agreements, firstTokenWeight: firstTokenWeight, exclamation: exclamation, newline: newline)
        case let .frequencyPresencePenalty(frequency, presence, scope):
            return FrequencyPresencePenalty(frequency: frequency, presence: presence, scope: scope)
        case let .multiplicativeRepetitionPenalty(penalty, scope):
            return MultiplicativeRepetitionPenalty(penalty: penalty, scope: scope)
        case let .bannedStrings(strings):
            return BannedStrings(strings, tokenizer: tokenizer)
        case let .languageModel(model, adapters):
            return try context.languageModel(model, adapters)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        let at = location(decoder)
        guard let type = try c.decodeIfPresent(String.self, forKey: AnyKey("type")) else {
            throw RuleFileError(location: at, message: "the field 'type' is missing (one of \(Self.fields.keys.sorted().joined(separator: ", ")))")
        }
        guard let allowed = Self.fields[type] else {
            throw RuleFileError(location: at, message: "unknown type '\(type)' (one of \(Self.fields.keys.sorted().joined(separator: ", ")))")
        }
        let here = "\(at) (\(type))"
        try rejectUnknownKeys(c, allowed: ["type", "weight"] + allowed, decoder: decoder, what: here)
        let fields = Fields(container: c, location: here)
        weight = try fields.float("weight", default: 1)
        switch type {
        case "eosRamp":
            let start = try fields.int("start", default: 0, minimum: 0)
            let end = try fields.int("end", default: 250, minimum: 1)
            guard end > start else { throw RuleFileError(location: here, message: "'end' (\(end)) must be greater than 'start' (\(start))") }
            kind = .eosRamp(start: start, end: end, peak: try fields.float("peak", default: 15), afterEnd: try fields.choice("afterEnd", default: .zero))
        case "repetitionPenalty":
            kind = .repetitionPenalty(
                penalty: try fields.float("penalty", default: 1.5), scope: try fields.scope(default: .instruction),
                exempt: try c.decodeIfPresent([TokenReference].self, forKey: AnyKey("exempt")) ?? [])
        case "tokenBias":
            guard c.contains(AnyKey("tokens")) else { throw RuleFileError(location: here, message: "the field 'tokens' is missing") }
            let entries = try c.decode([BiasEntry].self, forKey: AnyKey("tokens"))
            guard !entries.isEmpty else { throw RuleFileError(location: here, message: "'tokens' is empty") }
            kind = .tokenBias(tokens: entries.map(\.token), biases: entries.map(\.bias), unresolvable: try fields.choice("unresolvable", default: .error))
        case "startBias":
            kind = .startBias(
                agreements: try c.decodeIfPresent([String].self, forKey: AnyKey("agreements")) ?? ["Okay"],
                firstTokenWeight: try fields.float("firstTokenWeight", default: 5),
                exclamation: try fields.float("exclamation", default: 15), newline: try fields.float("newline", default: -10))
        case "frequencyPresencePenalty":
            kind = .frequencyPresencePenalty(
                frequency: try fields.float("frequency", default: 0), presence: try fields.float("presence", default: 0),
                scope: try fields.scope(default: .response))
        case "multiplicativeRepetitionPenalty":
            let penalty = try fields.float("penalty", default: 1.1)
            guard penalty > 0 else { throw RuleFileError(location: here, message: "'penalty' must be above 0, not \(penalty)") }
            kind = .multiplicativeRepetitionPenalty(penalty: penalty, scope: try fields.scope(default: .window(64)))
        case "bannedStrings":
            guard let strings = try c.decodeIfPresent([String].self, forKey: AnyKey("strings")), !strings.isEmpty, !strings.contains("") else {
                throw RuleFileError(location: here, message: "'strings' must be a list of non-empty texts")
            }
            kind = .bannedStrings(strings)
        default:  // "languageModel"
            let adapters = try c.decodeIfPresent([AdapterReference].self, forKey: AnyKey("lora")) ?? []
            let model: String?
            if c.contains(AnyKey("model")) {
                guard let name = try? c.decode(String.self, forKey: AnyKey("model")), !name.isEmpty else {
                    throw RuleFileError(location: here, message: "'model' should be a model name or path")
                }
                model = name
            } else {
                model = nil
            }
            guard model != nil || !adapters.isEmpty else {
                throw RuleFileError(location: here, message: "give 'model' (a model name or path), 'lora' (adapters for the base model), or both")
            }
            kind = .languageModel(model: model, adapters: adapters)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.encode(kind.type, forKey: AnyKey("type"))
        try c.encode(weight, forKey: AnyKey("weight"))
        func put<T: Encodable>(_ key: String, _ value: T) throws { try c.encode(value, forKey: AnyKey(key)) }
        switch kind {
        case let .eosRamp(start, end, peak, afterEnd):
            try put("start", start); try put("end", end); try put("peak", peak); try put("afterEnd", afterEnd)
        case let .repetitionPenalty(penalty, scope, exempt):
            try put("penalty", penalty); try put("scope", ScopeCoding(scope)); if !exempt.isEmpty { try put("exempt", exempt) }
        case let .tokenBias(tokens, biases, unresolvable):
            try put("tokens", zip(tokens, biases).map { BiasEntry(token: $0, bias: $1) }); try put("unresolvable", unresolvable)
        case let .startBias(agreements, firstTokenWeight, exclamation, newline):
            try put("agreements", agreements); try put("firstTokenWeight", firstTokenWeight)
            try put("exclamation", exclamation); try put("newline", newline)
        case let .frequencyPresencePenalty(frequency, presence, scope):
            try put("frequency", frequency); try put("presence", presence); try put("scope", ScopeCoding(scope))
        case let .multiplicativeRepetitionPenalty(penalty, scope):
            try put("penalty", penalty); try put("scope", ScopeCoding(scope))
        case let .bannedStrings(strings):
            try put("strings", strings)
        case let .languageModel(model, adapters):
            if let model { try put("model", model) }
            if !adapters.isEmpty { try put("lora", adapters) }
        }
    }
}

/// A LoRA adapter file and its scale, as a `languageModel` expert names it: `{"path": "a.gguf", "scale": 0.5}`.
public struct AdapterReference: Sendable, Equatable, Codable {
    /// The adapter's GGUF file.
    public var path: String
    /// What the adapter's product is multiplied by (1: as trained).
    public var scale: Float

    /// An adapter at `path` with `scale`.
    public init(path: String, scale: Float = 1) {
        self.path = path
        self.scale = scale
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        let at = location(decoder)
        try rejectUnknownKeys(c, allowed: ["path", "scale"], decoder: decoder, what: at)
        guard let path = try? c.decode(String.self, forKey: AnyKey("path")), !path.isEmpty else {
            throw RuleFileError(location: at, message: "'path' (the adapter's file) is missing")
        }
        self.path = path
        scale = try Fields(container: c, location: at).float("scale", default: 1)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.encode(path, forKey: AnyKey("path"))
        try c.encode(scale, forKey: AnyKey("scale"))
    }
}

/// `{"text": "<", "bias": -4}` or `{"id": 13, "bias": 1}`.
struct BiasEntry: Codable {
    let token: TokenReference
    let bias: Float

    init(token: TokenReference, bias: Float) {
        self.token = token
        self.bias = bias
    }

    init(from decoder: any Decoder) throws {
        token = try TokenReference(from: decoder, alongside: ["bias"])
        let c = try decoder.container(keyedBy: AnyKey.self)
        bias = try Fields(container: c, location: location(decoder)).float("bias", default: nil)
    }

    func encode(to encoder: any Encoder) throws {
        try token.encode(to: encoder)
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.encode(bias, forKey: AnyKey("bias"))
    }
}

/// `"instruction"`, `"response"` or `{"window": n}`.
struct ScopeCoding: Codable {
    let scope: RepetitionPenalty.Scope
    init(_ scope: RepetitionPenalty.Scope) { self.scope = scope }

    init(from decoder: any Decoder) throws {
        let at = location(decoder)
        if let name = try? decoder.singleValueContainer().decode(String.self) {
            switch name {
            case "instruction": scope = .instruction
            case "response": scope = .response
            default: throw RuleFileError(location: at, message: "'\(name)' is not a scope (\"instruction\", \"response\" or {\"window\": n})")
            }
            return
        }
        let c = try decoder.container(keyedBy: AnyKey.self)
        try rejectUnknownKeys(c, allowed: ["window"], decoder: decoder, what: at)
        let n = try Fields(container: c, location: at).int("window", default: nil, minimum: 1)
        scope = .window(n)
    }

    func encode(to encoder: any Encoder) throws {
        switch scope {
        case .instruction: var c = encoder.singleValueContainer(); try c.encode("instruction")
        case .response: var c = encoder.singleValueContainer(); try c.encode("response")
        case let .window(n): var c = encoder.container(keyedBy: AnyKey.self); try c.encode(n, forKey: AnyKey("window"))
        }
    }
}
