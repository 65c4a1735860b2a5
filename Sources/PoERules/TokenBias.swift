import PoE

/// Fixed changes to chosen tokens' scores, at every step: the paper's third ("uniform") rule, and the
/// logit bias users know from other engines.
///
/// Tokens are named by id, or by text resolved to the model's own token when the expert is built.
public struct TokenBias: Expert {
    /// The resolved biases, by id.
    public let ids: [TokenID]
    /// The bias of each of `ids`, in order.
    public let values: [Float]
    /// Texts that are not one token of the vocabulary and were skipped (with `.skip`).
    public let skipped: [String]
    /// The name traces show.
    public let name: String

    /// Biases by token id (checked against the vocabulary when the product is built).
    public init(ids biases: [(TokenID, Float)], name: String = "tokenBias") {
        ids = biases.map(\.0)
        values = biases.map(\.1)
        skipped = []
        self.name = name
    }

    /// What to do with a text that is not exactly one token.
    public enum Unresolvable: String, Sendable, Codable, CaseIterable {
        /// Throw `RuleError.notOneToken`.
        case error
        /// Leave the text out (it is listed in `skipped`).
        case skip
    }

    /// Biases by text: each text must be exactly one token of `tokenizer`'s vocabulary (see
    /// `resolveTokens`).
    public init(strings biases: [(String, Float)], tokenizer: some Tokenizer, unresolvable: Unresolvable = .error, name: String = "tokenBias") throws {
        try self.init(references: biases.map { (.text($0.0), $0.1) }, tokenizer: tokenizer, unresolvable: unresolvable, name: name)
    }

    /// Biases by id or by text, as a rule-set file gives them; a text that is not one token is an error or,
    /// with `.skip`, left out.
    public init(references biases: [(TokenReference, Float)], tokenizer: some Tokenizer, unresolvable: Unresolvable = .error, name: String = "tokenBias") throws {
        let resolved = resolveReferences(biases.map(\.0), tokenizer: tokenizer)
        var ids: [TokenID] = [], values: [Float] = [], skipped: [String] = []
        for ((reference, value), id) in zip(biases, resolved) {
            if let id {
                ids.append(id)
                values.append(value)
            } else if case let .text(text) = reference {
                guard unresolvable == .skip else { throw RuleError.notOneToken(expert: name, text: text) }
                skipped.append(text)
            }
        }
        (self.ids, self.values, self.skipped, self.name) = (ids, values, skipped, name)
    }

    public func check(vocabulary: Vocabulary) throws {
        if let bad = ids.first(where: { !vocabulary.contains($0) }) {
            throw RuleError.tokenOutOfRange(expert: name, id: bad, vocabularySize: vocabulary.count)
        }
    }

    public func start(_ prompt: Prompt) throws -> any ExpertState { State(scores: .sparse(ids: ids, values: values)) }

    final class State: ExpertState {
        let fixed: ExpertScores
        init(scores: ExpertScores) { fixed = scores }
        func scores(_ step: ExpertStep) -> ExpertScores { fixed }
        func accept(_ token: TokenID) {}
    }
}

/// Each text's token: the one token whose text it is, as the model writes it (a leading space is part of
/// the token, SentencePiece's `▁` included). Byte-fallback tokens give way to a token that spells the
/// text itself; among several, the one the tokenizer produces for the text wins. Nil if none.
public func resolveTokens(_ texts: [String], tokenizer: some Tokenizer) -> [TokenID?] {
    let vocabulary = tokenizer.vocabulary
    var wanted: [[UInt8]: [Int]] = [:]
    for (i, text) in texts.enumerated() { wanted[Array(text.utf8), default: []].append(i) }
    var candidates = [[TokenID]](repeating: [], count: texts.count)
    for id in 0 ..< TokenID(vocabulary.count) where vocabulary.attributes[Int(id)].isDisjoint(with: [.control, .unknown]) {
        if let indices = wanted[tokenizer.pieceBytes(id, renderSpecial: false)] {
            for i in indices { candidates[i].append(id) }
        }
    }
    return zip(texts, candidates).map { text, ids in
        var ids = ids
        if ids.count > 1 { ids = ids.filter { !vocabulary.attributes[Int($0)].contains(.byte) } }
        if ids.count > 1, let own = try? tokenizer.encode(text, addSpecial: false, parseSpecial: false), own.count == 1, ids.contains(own[0]) {
            return own[0]
        }
        return ids.min()
    }
}
