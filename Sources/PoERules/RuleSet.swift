import Foundation
import PoE

/// A named list of experts with weights: a preset, or a JSON file (see docs/rules.md for the schema).
public struct RuleSet: Sendable, Equatable, Codable {
    public var name: String
    public var experts: [ExpertSpec]

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

    /// Reads and validates a rule-set file; errors name the file and the field.
    public static func decode(contentsOf path: String) throws -> RuleSet {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw RuleError.invalidFile(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        do {
            return try JSONDecoder().decode(RuleSet.self, from: data)
        } catch let error as RuleFileError {
            throw RuleError.invalidFile(path: path, reason: error.description)
        } catch let error as DecodingError {
            throw RuleError.invalidFile(path: path, reason: RuleFileError(error).description)
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
    public let tokenizer: any Tokenizer
    /// Loads another model, by name or path, as an expert (for `languageModel` entries).
    public let languageModel: (String) throws -> any Expert

    public init(tokenizer: any Tokenizer, languageModel: @escaping (String) throws -> any Expert = { name in
        throw RuleError.invalidFile(path: name, reason: "no model loader was given for languageModel experts")
    }) {
        self.tokenizer = tokenizer
        self.languageModel = languageModel
    }
}

/// A token named by its text (resolved to the model's own token) or by id.
public enum TokenReference: Sendable, Equatable, Codable {
    case text(String)
    case id(TokenID)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let where_ = location(decoder)
        try rejectUnknownKeys(container, allowed: ["text", "id", "bias"], decoder: decoder, what: where_)
        switch (try container.decodeIfPresent(String.self, forKey: AnyKey("text")), try container.decodeIfPresent(Int.self, forKey: AnyKey("id"))) {
        case let (text?, nil): self = .text(text)
        case let (nil, id?):
            guard id >= 0, id <= Int(Int32.max) else { throw RuleFileError(location: where_, message: "'id' must be a token id (0 or more), not \(id)") }
            self = .id(TokenID(id))
        default: throw RuleFileError(location: where_, message: "give exactly one of 'text' or 'id'")
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
