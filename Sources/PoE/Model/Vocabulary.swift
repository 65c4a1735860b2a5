/// A token's index in a model's vocabulary.
public typealias TokenID = Int32

/// What kind of token an entry is, with the numbering GGUF's `tokenizer.ggml.token_type` uses.
public enum TokenKind: Int32, Sendable, Codable, CaseIterable {
    case undefined = 0
    case normal = 1
    case unknown = 2
    /// Markup such as `<bos>` or `<end_of_turn>`; parsed from text only when asked.
    case control = 3
    case userDefined = 4
    case unused = 5
    /// A raw byte, `<0xNN>`, for byte fallback.
    case byte = 6
}

/// A model's tokens and its special ids.
public struct Vocabulary: Sendable {
    /// Each token's text as the model stores it (SentencePiece `▁` for a space, GPT-2's byte alphabet for BPE).
    public let pieces: [String]
    public let kinds: [TokenKind]
    public let bos: TokenID?
    public let eos: TokenID?
    /// Every id that ends a generation: EOS, end-of-turn markers and the like.
    public let endOfGeneration: Set<TokenID>
    /// Whether the model expects BOS at the start of a sequence.
    public let addsBOS: Bool

    public init(
        pieces: [String], kinds: [TokenKind], bos: TokenID?, eos: TokenID?,
        endOfGeneration: Set<TokenID>, addsBOS: Bool
    ) {
        precondition(pieces.count == kinds.count, "one kind per piece")
        self.pieces = pieces
        self.kinds = kinds
        self.bos = bos
        self.eos = eos
        self.endOfGeneration = endOfGeneration
        self.addsBOS = addsBOS
    }

    public var count: Int { pieces.count }

    public func contains(_ id: TokenID) -> Bool { id >= 0 && Int(id) < pieces.count }

    /// Throws `LanguageModelError.tokenOutOfRange` for the first id that is not in the vocabulary.
    public func validate(_ ids: some Sequence<TokenID>) throws(LanguageModelError) {
        for (index, id) in ids.enumerated() where !contains(id) {
            throw .tokenOutOfRange(id: id, index: index, vocabularySize: count)
        }
    }
}
