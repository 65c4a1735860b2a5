/// The decoding of a sequence that grows a token at a time, kept up to date as it grows: what
/// ``StreamingDecoder`` reads, so that streaming a response costs time in proportion to its length.
///
/// At every moment the bytes are those ``Tokenizer/decodeBytes(_:renderSpecial:)`` gives for the tokens
/// appended so far. A tokenizer makes one with ``Tokenizer/makeIncrementalDecoding(renderSpecial:)``.
public protocol IncrementalDecoding: Sendable {
    /// Adds the next token.
    mutating func append(_ token: TokenID)

    /// How many bytes the decoding of the tokens so far holds.
    var byteCount: Int { get }

    /// The decoding's bytes from `offset` on. Reading the last few bytes costs little; reading from the
    /// start costs the whole text.
    func bytes(from offset: Int) -> [UInt8]
}

/// The fallback for any tokenizer: decodes the whole sequence again at each token (quadratic in the
/// sequence's length, but right for every tokenizer).
struct RedecodingText<T: Tokenizer>: IncrementalDecoding {
    let tokenizer: T
    let renderSpecial: Bool
    private var tokens: [TokenID] = []
    private var decoded: [UInt8] = []

    init(tokenizer: T, renderSpecial: Bool) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    mutating func append(_ token: TokenID) {
        tokens.append(token)
        decoded = tokenizer.decodeBytes(tokens, renderSpecial: renderSpecial)
    }

    var byteCount: Int { decoded.count }

    func bytes(from offset: Int) -> [UInt8] { Array(decoded[min(offset, decoded.count)...]) }
}
