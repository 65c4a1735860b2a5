import PoE

/// Cuts a passage in two, as Xie et al. build non-instructional data: its first half, by tokens, becomes
/// the "instruction". The cut moves to the nearest word boundary (white space), so the first half is the
/// passage's text up to a whole word: a prefix of the passage, with the white space at the cut dropped.
public struct PassageSplitter<T: Tokenizer> {
    /// The teacher's tokenizer, which counts the tokens.
    public let tokenizer: T
    /// Passages with fewer tokens are skipped.
    public let minimumTokens: Int

    /// A splitter that skips passages shorter than `minimumTokens`.
    public init(tokenizer: T, minimumTokens: Int) {
        self.tokenizer = tokenizer
        self.minimumTokens = minimumTokens
    }

    /// A passage cut in two.
    public struct Split: Sendable, Equatable {
        /// The first half: a prefix of the passage.
        public let instruction: String
        /// The passage after the cut (its own continuation, for comparison).
        public let rest: String
        /// Tokens in the whole passage.
        public let passageTokens: Int
    }

    /// The split, or nil when the passage is too short (or has no place to cut).
    public func split(_ passage: String) throws -> Split? {
        let ids = try tokenizer.encode(passage, addSpecial: false, parseSpecial: false)
        guard ids.count >= max(minimumTokens, 2) else { return nil }
        // Where half the tokens end, in the passage's bytes (decoding gives the passage's own text back).
        let target = min(tokenizer.decodeBytes(Array(ids[..<(ids.count / 2)]), renderSpecial: false).count, passage.utf8.count)
        let scalars = Array(passage.unicodeScalars)
        // Candidate cuts: each run of white space, as (byte offset where it starts, where it ends).
        var cuts: [(start: Int, end: Int)] = []
        var offset = 0, runStart: Int?
        for scalar in scalars {
            let width = UTF8.width(scalar)
            if scalar.properties.isWhitespace {
                if runStart == nil { runStart = offset }
            } else if let start = runStart {
                cuts.append((start, offset))
                runStart = nil
            }
            offset += width
        }
        // A cut needs words on both sides.
        guard let best = cuts.filter({ $0.start > 0 }).min(by: { abs($0.start - target) < abs($1.start - target) }) else { return nil }
        let bytes = Array(passage.utf8)
        return Split(
            instruction: String(decoding: bytes[..<best.start], as: UTF8.self),
            rest: String(decoding: bytes[best.end...], as: UTF8.self), passageTokens: ids.count)
    }
}
