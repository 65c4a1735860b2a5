/// Turns tokens, one at a time, into text that only ever grows: it emits whole UTF-8 characters only, and
/// holds back the last bytes that later tokens could still change, until `finish`.
public struct StreamingDecoder: Sendable {
    public let tokenizer: any Tokenizer
    public let renderSpecial: Bool
    public private(set) var tokens: [TokenID] = []
    /// How many bytes of the decoding have been emitted.
    private var emitted = 0

    public init(tokenizer: any Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Adds a token and returns the text that is now settled (possibly empty).
    public mutating func append(_ token: TokenID) -> String {
        tokens.append(token)
        let bytes = tokenizer.decodeBytes(tokens, renderSpecial: renderSpecial)
        var end = max(emitted, bytes.count - tokenizer.unsettledSuffixLength)
        end = Self.lastCharacterBoundary(in: bytes, before: end, notBefore: emitted)
        return emit(bytes[emitted ..< end])
    }

    /// The rest of the text, once no more tokens will come.
    public mutating func finish() -> String {
        let bytes = tokenizer.decodeBytes(tokens, renderSpecial: renderSpecial)
        return emit(bytes[min(emitted, bytes.count)...])
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
