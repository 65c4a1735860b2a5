/// A token's index in a model's vocabulary.
public typealias TokenID = Int32

/// What a token is, as llama.cpp's attribute bits say (and with its numbering).
public struct TokenAttributes: OptionSet, Sendable, Hashable {
    /// The attribute bits.
    public let rawValue: UInt32
    /// Attributes from llama.cpp's bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The unknown token (`<unk>`).
    public static let unknown = TokenAttributes(rawValue: 1 << 0)
    /// A token the vocabulary reserves but never produces.
    public static let unused = TokenAttributes(rawValue: 1 << 1)
    /// An ordinary token of text.
    public static let normal = TokenAttributes(rawValue: 1 << 2)
    /// Markup such as `<bos>` or `<end_of_turn>`: parsed from text only when asked, rendered only when asked.
    public static let control = TokenAttributes(rawValue: 1 << 3)
    /// Added tokens that are always cut out of text before the tokenizer's model runs (Gemma's runs of
    /// newlines, spaces and tabs, and its HTML tags).
    public static let userDefined = TokenAttributes(rawValue: 1 << 4)
    /// A raw byte, `<0xNN>`, for byte fallback.
    public static let byte = TokenAttributes(rawValue: 1 << 5)
    /// Swallows whitespace to its left / right when parsed from text.
    public static let leftStrip = TokenAttributes(rawValue: 1 << 7)
    /// Swallows whitespace to its right when parsed from text.
    public static let rightStrip = TokenAttributes(rawValue: 1 << 8)
}

/// A model's tokens and its special ids.
public struct Vocabulary: Sendable {
    /// Each token's text as the model stores it (SentencePiece `▁` for a space, GPT-2's byte alphabet for BPE).
    public let pieces: [String]
    /// Each token's attributes, by id.
    public let attributes: [TokenAttributes]
    /// The beginning-of-sequence token, if the vocabulary has one.
    public let bos: TokenID?
    /// The end-of-sequence token, if the vocabulary has one.
    public let eos: TokenID?
    /// Every id that ends a generation: EOS, end-of-turn markers and the like.
    public let endOfGeneration: Set<TokenID>
    /// Whether encoding with `addSpecial` puts BOS first / EOS last.
    public let addsBOS: Bool
    /// Whether encoding with `addSpecial` puts EOS last.
    public let addsEOS: Bool

    /// A vocabulary of `pieces` with their attributes and special ids.
    public init(
        pieces: [String], attributes: [TokenAttributes], bos: TokenID?, eos: TokenID?,
        endOfGeneration: Set<TokenID>, addsBOS: Bool, addsEOS: Bool = false
    ) {
        precondition(pieces.count == attributes.count, "one attribute set per piece")
        self.pieces = pieces
        self.attributes = attributes
        self.bos = bos
        self.eos = eos
        self.endOfGeneration = endOfGeneration
        self.addsBOS = addsBOS
        self.addsEOS = addsEOS
    }

    /// How many tokens the vocabulary has; valid ids are `0 ..< count`.
    public var count: Int { pieces.count }

    /// Whether `id` is a token of this vocabulary.
    public func contains(_ id: TokenID) -> Bool { id >= 0 && Int(id) < pieces.count }

    /// Throws `LanguageModelError.tokenOutOfRange` for the first id that is not in the vocabulary.
    public func validate(_ ids: some Sequence<TokenID>) throws(LanguageModelError) {
        for (index, id) in ids.enumerated() where !contains(id) {
            throw .tokenOutOfRange(id: id, index: index, vocabularySize: count)
        }
    }
}
