import PoE

/// `GGUFTokenizer.decodeBytes` kept up to date a token at a time, in time proportional to each token's
/// piece.
///
/// Decoding is the pieces one after another (the first with one leading space removed, where the
/// vocabulary says so), then, for some BPE vocabularies, llama.cpp's `clean_spaces` passes. Those passes
/// only ever remove a space, and whether they remove one depends on the bytes just around it, so they
/// can be run on the text in parts: two bytes in a row that are no space, apostrophe or `?!.,` end every
/// pattern that could reach across them. The text up to the last such pair is cleaned once and kept;
/// only the part after it (usually a few bytes) is cleaned again as tokens arrive.
struct GGUFIncrementalDecoding: IncrementalDecoding {
    let tokenizer: GGUFTokenizer
    let renderSpecial: Bool
    /// The decoding up to `raw`'s start: final, whatever follows.
    private var settled: [UInt8] = []
    /// The pieces since `settled`'s end, before clean-up, and their clean-up.
    private var raw: [UInt8] = []
    private var cleaned: [UInt8] = []
    private var isFirst = true

    init(tokenizer: GGUFTokenizer, renderSpecial: Bool) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    mutating func append(_ token: TokenID) {
        var piece = tokenizer.pieces.piece(token, renderSpecial: renderSpecial)
        // As decodeBytes: llama.cpp removes one space from the first token's piece, even when that piece
        // is BOS's (empty).
        if isFirst, tokenizer.stripsLeadingSpace, piece.first == 0x20 { piece = piece.dropFirst() }
        isFirst = false
        guard tokenizer.cleansSpaces else {
            settled += piece
            return
        }
        raw += piece
        // Settle everything up to the last boundary that no clean-up pattern crosses.
        var cut = raw.count
        while cut >= 2, !(Self.isInert(raw[cut - 1]) && Self.isInert(raw[cut - 2])) { cut -= 1 }
        if cut >= 2 {
            settled += GGUFTokenizer.cleanSpaces(Array(raw[..<cut]))
            raw.removeFirst(cut)
        }
        cleaned = GGUFTokenizer.cleanSpaces(raw)
    }

    var byteCount: Int { settled.count + cleaned.count }

    func bytes(from offset: Int) -> [UInt8] {
        if offset >= settled.count { return Array(cleaned[min(offset - settled.count, cleaned.count)...]) }
        return Array(settled[offset...]) + cleaned
    }

    /// A byte the clean-up passes neither remove nor look for: not a space, an apostrophe or `?!.,`.
    private static func isInert(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x27, 0x3F, 0x21, 0x2E, 0x2C: false
        default: true
        }
    }
}
