import Foundation
import PoE

/// A named list of experts with weights: a preset, or a JSON file (see docs/rules.md for the schema).
public struct RuleSet: Sendable, Equatable, Codable {
    /// The rule set's name (reports and traces use it).
    public var name: String
    /// Its experts with their weights, in order.
    public var experts: [ExpertSpec]

    /// A rule set named `name`.
    public init(name: String, experts: [ExpertSpec]) {
        self.name = name
        self.experts = experts
    }

    /// A preset by name, or else a rule-set file at that path.
    public static func load(_ nameOrPath: String) throws -> RuleSet {
        if let preset = presets.first(where: { $0.name == nameOrPath }) { return preset }
        guard FileManager.default.fileExists(atPath: nameOrPath) else {
            throw RuleError.unknownPreset(nameOrPath, known: presets.map(\.name))
        }
        return try decode(contentsOf: nameOrPath)
    }

    /// Reads and validates a rule-set file (or a stream, such as `<(cat rules.json)`); errors name the
    /// file, and the field or the line and column.
    public static func decode(contentsOf path: String) throws(RuleError) -> RuleSet {
        do {
            return try decode(FileContents.read(path), source: path)
        } catch let error as FileReadError {
            throw .invalidFile(path: path, reason: error.problem.description)
        } catch let error as RuleError {
            throw error
        } catch {
            throw .invalidFile(path: path, reason: "\(error)")
        }
    }

    /// Validates a rule set's JSON text; errors name `source`, and the field or the line and column.
    public static func decode(_ bytes: [UInt8], source: String) throws(RuleError) -> RuleSet {
        if let syntax = JSONSyntaxError.find(in: bytes) { throw .invalidFile(path: source, reason: syntax.description) }
        do {
            return try JSONDecoder().decode(RuleSet.self, from: Data(bytes))
        } catch let error as RuleFileError {
            throw .invalidFile(path: source, reason: error.description)
        } catch let error as DecodingError {
            throw .invalidFile(path: source, reason: RuleFileError(error).description)
        } catch {
            throw .invalidFile(path: source, reason: "\(error)")
        }
    }

    /// The experts, built for a model's tokenizer (texts resolve to its tokens).
    public func build(_ context: RuleBuildContext) throws -> [WeightedExpert] {
        try experts.map { try WeightedExpert($0.build(context), weight: $0.weight) }
    }

    enum CodingKeys: String, CodingKey { case name, experts }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        try rejectUnknownKeys(container, allowed: ["name", "experts"], decoder: decoder, what: "the rule set")
        name = try container.decodeIfPresent(String.self, forKey: AnyKey("name")) ?? "rules"
        guard container.contains(AnyKey("experts")) else {
            throw RuleFileError(location: "the rule set", message: "the field 'experts' is missing")
        }
        experts = try container.decode([ExpertSpec].self, forKey: AnyKey("experts"))
    }
}

/// What building experts needs from the model they will serve.
public struct RuleBuildContext {
    /// The model's tokenizer: texts in the rules become its tokens.
    public let tokenizer: any Tokenizer
    /// Makes a `languageModel` entry's expert: another model by name or path (nil: the base model's own
    /// weights), with the entry's LoRA adapters.
    public let languageModel: (_ model: String?, _ adapters: [AdapterReference]) throws -> any Expert

    /// A context for a model with `tokenizer`; `languageModel` loads the models `languageModel` entries
    /// name (by default such entries are an error).
    public init(tokenizer: any Tokenizer, languageModel: @escaping (_ model: String?, _ adapters: [AdapterReference]) throws -> any Expert = { name, _ in
        throw RuleError.invalidFile(path: name ?? "languageModel", reason: "no model loader was given for languageModel experts")
    }) {
        self.tokenizer = tokenizer
        self.languageModel = languageModel
    }
}

/// A token named by its text (resolved to the model's own token) or by id.
public enum TokenReference: Sendable, Equatable, Codable {
    /// A token by its text: exactly one token of the model, leading space included.
    case text(String)
    /// A token by id.
    case id(TokenID)

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, alongside: [])
    }

    /// Decodes `{"text": ...}` or `{"id": ...}`, where the object may also hold the fields `alongside`
    /// (a bias entry's `bias`), and no others.
    init(from decoder: any Decoder, alongside: [String]) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let at = location(decoder)
        try rejectUnknownKeys(container, allowed: ["text", "id"] + alongside, decoder: decoder, what: at)
        let fields = Fields(container: container, location: at)
        switch (container.contains(AnyKey("text")), container.contains(AnyKey("id"))) {
        case (true, false):
            guard let text = try? container.decode(String.self, forKey: AnyKey("text")) else {
                throw RuleFileError(location: at, message: "'text' should be a text")
            }
            self = .text(text)
        case (false, true):
            let id = try fields.int("id", default: nil, minimum: 0)
            guard id <= Int(Int32.max) else { throw RuleFileError(location: at, message: "'id' must be a token id, not \(id)") }
            self = .id(TokenID(id))
        default: throw RuleFileError(location: at, message: "give exactly one of 'text' or 'id'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyKey.self)
        switch self {
        case let .text(text): try container.encode(text, forKey: AnyKey("text"))
        case let .id(id): try container.encode(id, forKey: AnyKey("id"))
        }
    }
}

/// Token references resolved: ids as they are, texts through the tokenizer (nil: not one token).
func resolveReferences(_ references: [TokenReference], tokenizer: any Tokenizer) -> [TokenID?] {
    let texts = references.compactMap { if case let .text(text) = $0 { text } else { nil } }
    var resolved = resolveTokens(texts, tokenizer: tokenizer).makeIterator()
    return references.map { reference in
        switch reference {
        case let .id(id): id
        case .text: resolved.next() ?? nil
        }
    }
}

/// Resolves token references for an expert: ids as they are, texts through the tokenizer, each text
/// exactly one token.
func resolve(_ references: [TokenReference], tokenizer: any Tokenizer, expert: String) throws -> [TokenID] {
    var ids: [TokenID] = []
    for (reference, id) in zip(references, resolveReferences(references, tokenizer: tokenizer)) {
        if let id { ids.append(id) } else if case let .text(text) = reference { throw RuleError.notOneToken(expert: expert, text: text) }
    }
    return ids
}
