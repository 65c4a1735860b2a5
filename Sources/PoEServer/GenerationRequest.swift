import Foundation
import PoE
import PoERules

/// A completion or chat request, read and checked field by field: OpenAI's fields, and swift-poe's own
/// (`rules`, `template`, `ignore_eos`, `top_k`, `min_p`). Every error names the field (`APIError.param`).
struct GenerationRequest: Sendable {
    enum Input: Sendable {
        case prompt(String)
        case messages([ChatMessage])
    }

    var input: Input
    var model: String?
    var stream = false
    var includeUsage = false
    var maxTokens: Int?
    var sampling = SamplingParameters(temperature: 1)
    var stop: [String] = []
    var logitBias: [(TokenID, Float)] = []
    var frequencyPenalty: Float = 0
    var presencePenalty: Float = 0
    /// Log-probabilities of the chosen tokens, with this many alternatives (nil: none).
    var logprobs: Int?
    /// A preset's name or a rule set (nil: the server's default).
    var rules: RuleSet?
    var template: String?
    var ignoreEOS = false

    var isChat: Bool { if case .messages = input { true } else { false } }

    /// Most stop strings, alternatives per token, logit biases: bounds that keep a request's cost small.
    static let maxStopStrings = 16, maxAlternatives = 20, maxLogitBiases = 1024

    /// Reads a request body for `/v1/completions` (`chat` false) or `/v1/chat/completions`.
    init(body: [UInt8], chat: Bool) throws(APIError) {
        if body.isEmpty { throw APIError(.badRequest, "the request has no body; send a JSON object") }
        if let syntax = JSONSyntaxError.find(in: body) { throw APIError(.badRequest, "the body is not valid JSON: \(syntax)") }
        let object: JSONObject
        do {
            object = try JSONDecoder().decode(JSONObject.self, from: Data(body))
        } catch {
            throw APIError(.badRequest, "the body must be a JSON object")
        }
        let fields = Fields(object)
        if chat {
            input = .messages(try Self.messages(fields.required("messages")))
        } else {
            input = .prompt(try Self.prompt(fields.required("prompt")))
        }
        model = try fields.string("model")
        stream = try fields.bool("stream") ?? false
        if let options = try fields.object("stream_options") { includeUsage = try options.bool("include_usage") ?? false }
        maxTokens = try fields.int("max_tokens", in: 1 ... Int(Int32.max))
        if chat, let newer = try fields.int("max_completion_tokens", in: 1 ... Int(Int32.max)) { maxTokens = newer }
        sampling.temperature = try fields.float("temperature", in: 0 ... 100) ?? 1
        sampling.topP = try fields.float("top_p", in: 0 ... 1)
        sampling.topK = try fields.int("top_k", in: 0 ... Int(Int32.max))
        sampling.minP = try fields.float("min_p", in: 0 ... 1)
        if let seed = try fields.int("seed", in: Int(Int64.min) ... Int(Int64.max)) { sampling.seed = UInt64(bitPattern: Int64(seed)) }
        if let n = try fields.int("n", in: 1 ... Int(Int32.max)), n != 1 { throw .invalid("n", "only one choice per request is supported (n: 1)") }
        if try fields.bool("echo") == true { throw .invalid("echo", "echoing the prompt is not supported") }
        if let best = try fields.int("best_of", in: 1 ... Int(Int32.max)), best != 1 { throw .invalid("best_of", "only best_of 1 is supported") }
        frequencyPenalty = try fields.float("frequency_penalty", in: -2 ... 2) ?? 0
        presencePenalty = try fields.float("presence_penalty", in: -2 ... 2) ?? 0
        stop = try Self.stop(fields["stop"])
        logitBias = try Self.logitBias(fields.object("logit_bias"))
        if chat {
            let top = try fields.int("top_logprobs", in: 0 ... Self.maxAlternatives)
            if try fields.bool("logprobs") == true { logprobs = top ?? 0 } else if top != nil {
                throw .invalid("top_logprobs", "needs logprobs: true")
            }
        } else {
            logprobs = try fields.int("logprobs", in: 0 ... Self.maxAlternatives)
        }
        rules = try Self.rules(fields["rules"])
        template = try fields.string("template")
        ignoreEOS = try fields.bool("ignore_eos") ?? false
    }

    // MARK: - Fields with more than one shape

    private static func prompt(_ value: JSONValue) throws(APIError) -> String {
        switch value {
        case let .string(text): return text
        case let .array(items) where items.count == 1:
            guard case let .string(text) = items[0] else { throw .invalid("prompt[0]", "must be a string") }
            return text
        case .array: throw .invalid("prompt", "only one prompt per request is supported")
        default: throw .invalid("prompt", "must be a string")
        }
    }

    private static func messages(_ value: JSONValue) throws(APIError) -> [ChatMessage] {
        guard case let .array(items) = value else { throw .invalid("messages", "must be an array of messages") }
        guard !items.isEmpty else { throw .invalid("messages", "must hold at least one message") }
        var messages: [ChatMessage] = []
        for (i, item) in items.enumerated() {
            guard case let .object(object) = item else { throw .invalid("messages[\(i)]", "must be an object with role and content") }
            let fields = Fields(object, path: "messages[\(i)].")
            let roleName = try fields.string("role") ?? ""
            let role: ChatMessage.Role
            switch roleName {
            case "system", "developer": role = .system
            case "user": role = .user
            case "assistant": role = .assistant
            default: throw .invalid("messages[\(i)].role", "must be system, developer, user or assistant, not '\(roleName)'")
            }
            messages.append(ChatMessage(role: role, content: try content(fields["content"], path: "messages[\(i)].content")))
        }
        return messages
    }

    /// A message's content: a string, or text parts (`[{"type": "text", "text": ...}]`), joined.
    private static func content(_ value: JSONValue?, path: String) throws(APIError) -> String {
        switch value {
        case let .string(text)?: return text
        case .null?, nil: return ""
        case let .array(parts)?:
            var text = ""
            for (i, part) in parts.enumerated() {
                guard case let .object(object) = part, object["type"] == .string("text"), case let .string(piece)? = object["text"] else {
                    throw .invalid("\(path)[\(i)]", "only text parts ({\"type\": \"text\", \"text\": ...}) are supported")
                }
                text += piece
            }
            return text
        default: throw .invalid(path, "must be a string or an array of text parts")
        }
    }

    private static func stop(_ value: JSONValue?) throws(APIError) -> [String] {
        switch value {
        case nil, .null?: return []
        case let .string(text)?: return text.isEmpty ? [] : [text]
        case let .array(items)?:
            guard items.count <= maxStopStrings else { throw .invalid("stop", "at most \(maxStopStrings) stop strings") }
            var strings: [String] = []
            for (i, item) in items.enumerated() {
                guard case let .string(text) = item else { throw .invalid("stop[\(i)]", "must be a string") }
                if !text.isEmpty { strings.append(text) }
            }
            return strings
        default: throw .invalid("stop", "must be a string or an array of strings")
        }
    }

    private static func logitBias(_ fields: Fields?) throws(APIError) -> [(TokenID, Float)] {
        guard let fields else { return [] }
        guard fields.object.entries.count <= maxLogitBiases else { throw .invalid("logit_bias", "at most \(maxLogitBiases) entries") }
        var biases: [(TokenID, Float)] = []
        for key in fields.object.keys {
            guard let id = UInt32(key) else { throw .invalid("logit_bias", "keys must be token ids, not '\(key)'") }
            guard let bias = try fields.float(key, in: -100 ... 100) else { continue }
            biases.append((TokenID(id), bias))
        }
        return biases
    }

    /// A preset's name, or a rule set written as in a rule file (a model of its own is refused: a request
    /// must not make the server read files).
    private static func rules(_ value: JSONValue?) throws(APIError) -> RuleSet? {
        switch value {
        case nil, .null?: return nil
        case let .string(name)?:
            guard let preset = RuleSet.presets.first(where: { $0.name == name }) else {
                throw .invalid("rules", "unknown rule set '\(name)' (one of \(RuleSet.presets.map(\.name).joined(separator: ", ")), or a rule-set object)")
            }
            return preset
        case let .object(object)?:
            let ruleSet: RuleSet
            do {
                ruleSet = try RuleSet.decode(JSONValue.object(object).encoded(), source: "rules")
            } catch {
                throw APIError(.badRequest, "\(error)", param: "rules")
            }
            if let index = ruleSet.experts.firstIndex(where: { if case .languageModel = $0.kind { true } else { false } }) {
                throw .invalid("rules.experts[\(index)]", "languageModel experts cannot be given in a request")
            }
            return ruleSet
        default: throw .invalid("rules", "must be a preset's name or a rule-set object")
        }
    }
}

/// Typed reads of an object's fields, with errors that name them.
struct Fields {
    let object: JSONObject
    let path: String

    init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    subscript(key: String) -> JSONValue? { object[key] }

    func required(_ key: String) throws(APIError) -> JSONValue {
        guard let value = object[key], value != .null else { throw .invalid(path + key, "is required") }
        return value
    }

    func string(_ key: String) throws(APIError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case let .string(value)?: return value
        default: throw .invalid(path + key, "must be a string")
        }
    }

    func bool(_ key: String) throws(APIError) -> Bool? {
        switch object[key] {
        case nil, .null?: return nil
        case let .bool(value)?: return value
        default: throw .invalid(path + key, "must be true or false")
        }
    }

    func object(_ key: String) throws(APIError) -> Fields? {
        switch object[key] {
        case nil, .null?: return nil
        case let .object(value)?: return Fields(value, path: path + key + ".")
        default: throw .invalid(path + key, "must be an object")
        }
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        switch object[key] {
        case nil, .null?: return nil
        case let .number(value)?:
            guard value == value.rounded(), value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
                throw .invalid(path + key, "must be a whole number from \(range.lowerBound) to \(range.upperBound), not \(Fields.show(value))")
            }
            return Int(value)
        default: throw .invalid(path + key, "must be a number")
        }
    }

    /// A number as JSON writes it (`-1`, not `-1.0`).
    static func show(_ value: Double) -> String { String(decoding: JSONValue.number(value).encoded(), as: UTF8.self) }

    func float(_ key: String, in range: ClosedRange<Float>) throws(APIError) -> Float? {
        switch object[key] {
        case nil, .null?: return nil
        case let .number(value)?:
            guard value.isFinite, Float(value) >= range.lowerBound, Float(value) <= range.upperBound else {
                throw .invalid(path + key, "must be a number from \(range.lowerBound) to \(range.upperBound), not \(Fields.show(value))")
            }
            return Float(value)
        default: throw .invalid(path + key, "must be a number")
        }
    }
}
