/// A stretch of a prompt, and whether special tokens written in it are recognised.
public struct TextSegment: Sendable, Equatable {
    /// The segment's text.
    public var text: String
    /// Whether control tokens written in the text (`<start_of_turn>`) are recognised as such.
    public var parseSpecial: Bool

    /// A segment of `text`.
    public init(_ text: String, parseSpecial: Bool) {
        self.text = text
        self.parseSpecial = parseSpecial
    }
}

/// Ids of a segmented text, and which ids came from which segment.
public struct SegmentedTokens: Sendable, Equatable {
    /// The token ids of every segment, in order.
    public var ids: [TokenID]
    /// `ids[segmentRanges[i]]` are segment i's tokens (BOS and EOS belong to none).
    public var segmentRanges: [Range<Int>]

    /// Ids with the ranges of each segment's tokens.
    public init(ids: [TokenID], segmentRanges: [Range<Int>]) {
        self.ids = ids
        self.segmentRanges = segmentRanges
    }
}

/// Text to token ids and back, exactly as the model's own tokenizer does it.
public protocol Tokenizer: Sendable {
    /// The vocabulary the ids index.
    var vocabulary: Vocabulary { get }

    /// The ids of the segments' text, tokenized as one text, except that special tokens are recognised
    /// only in segments that ask for it and every segment starts a new token. (A prompt template parses
    /// its markup and never the user's text.)
    func encode(segments: [TextSegment], addSpecial: Bool) throws -> SegmentedTokens

    // encode(_:addSpecial:parseSpecial:), in the extension below, is one segment: `addSpecial` puts BOS
    // (and EOS) around the ids where the vocabulary asks for them; `parseSpecial` recognises control
    // tokens written in the text (`<start_of_turn>`, `<|im_end|>`). Without it such text is tokenized as
    // plain characters, so user text can never forge a control token.

    /// The text of `ids` as UTF-8 bytes (which may end inside a character). Control tokens are rendered
    /// only with `renderSpecial`.
    func decodeBytes(_ ids: [TokenID], renderSpecial: Bool) -> [UInt8]

    /// One token's own text as UTF-8 bytes, as it stands inside a longer decoding (llama.cpp's
    /// `token_to_piece`): unlike `decodeBytes([id])`, which decodes a whole text, no leading space is
    /// removed and no spaces are cleaned up. Control tokens are rendered only with `renderSpecial`.
    func pieceBytes(_ id: TokenID, renderSpecial: Bool) -> [UInt8]

    /// How many bytes at the end of a decoding may still change when more tokens follow (llama.cpp's
    /// space clean-up looks one or two characters ahead); 0 when decoding only appends.
    var unsettledSuffixLength: Int { get }

    /// A decoding that grows a token at a time (see `IncrementalDecoding`). The default decodes the whole
    /// sequence again at each token; a tokenizer whose decoding is local does better.
    func makeIncrementalDecoding(renderSpecial: Bool) -> any IncrementalDecoding
}

extension Tokenizer {
    /// A decoding that decodes the whole sequence again at each token.
    public func makeIncrementalDecoding(renderSpecial: Bool) -> any IncrementalDecoding {
        RedecodingText(tokenizer: self, renderSpecial: renderSpecial)
    }

    /// The ids of one text: `addSpecial` puts BOS (and EOS) around them where the vocabulary asks for them;
    /// `parseSpecial` recognises control tokens written in the text. Without it such text is tokenized as
    /// plain characters, so user text can never forge a control token.
    public func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) throws -> [TokenID] {
        try encode(segments: [TextSegment(text, parseSpecial: parseSpecial)], addSpecial: addSpecial).ids
    }

    /// The text of `ids`; bytes that do not form valid UTF-8 become U+FFFD.
    public func decode(_ ids: [TokenID], renderSpecial: Bool = false) -> String {
        String(decoding: decodeBytes(ids, renderSpecial: renderSpecial), as: UTF8.self)
    }
}
