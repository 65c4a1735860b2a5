/// Turns tokens, one at a time, into text that only ever grows: it emits whole UTF-8 characters only, and
/// holds back the last bytes that later tokens could still change, until `finish`.
///
/// Each token costs time in proportion to its own text (with tokenizers that decode incrementally, as
/// the GGUF ones do), not to the text so far.
public struct StreamingDecoder: Sendable {
    /// The tokenizer that decodes.
    public let tokenizer: any Tokenizer
    /// Whether control tokens are rendered as text.
    public let renderSpecial: Bool
    /// The tokens appended so far.
    public private(set) var tokens: [TokenID] = []
    private var decoding: any IncrementalDecoding
    /// How many bytes of the decoding have been emitted.
    private var emitted = 0

    /// A decoder with no tokens yet.
    public init(tokenizer: any Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
        decoding = tokenizer.makeIncrementalDecoding(renderSpecial: renderSpecial)
    }

    /// Adds a token and returns the text that is now settled (possibly empty).
    public mutating func append(_ token: TokenID) -> String {
        tokens.append(token)
        decoding.append(token)
        let pending = decoding.bytes(from: emitted)
        // Indices in `pending` count from `emitted`.
        let settled = max(0, pending.count - tokenizer.unsettledSuffixLength)
        return emit(pending[..<Self.lastCharacterBoundary(in: pending, before: settled, notBefore: 0)])
    }

    /// The rest of the text, once no more tokens will come.
    public mutating func finish() -> String {
        emit(decoding.bytes(from: emitted)[...])
    }

    private mutating func emit(_ bytes: ArraySlice<UInt8>) -> String {
        emitted += bytes.count
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The largest index ≤ `end` that does not fall inside a UTF-8 character (a character is whole when
    /// its lead byte says how many continuation bytes follow and they are all there).
    package static func lastCharacterBoundary(in bytes: [UInt8], before end: Int, notBefore start: Int) -> Int {
        var lead = end
        // Step back over up to three continuation bytes (10xxxxxx) to the character's first byte.
        while lead > start, end - lead < 4, bytes[lead - 1] & 0xC0 == 0x80 { lead -= 1 }
        guard lead > start else { return end - lead >= 4 ? end : start }
        let first = bytes[lead - 1]
        let length = first < 0x80 ? 1 : first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 1
        // The character that starts at lead-1 is complete if all its bytes are before `end`.
        return (lead - 1) + length <= end ? end : lead - 1
    }
}
