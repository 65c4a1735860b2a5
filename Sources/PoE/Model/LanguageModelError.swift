/// Errors a language model or one of its sessions throws for bad input.
public enum LanguageModelError: Error, Equatable, CustomStringConvertible {
    /// A token id outside the vocabulary, at `index` of the input.
    case tokenOutOfRange(id: TokenID, index: Int, vocabularySize: Int)
    /// The sequence would need more positions than the session holds.
    case contextFull(needed: Int, capacity: Int)
    /// A truncation to more tokens than the sequence has, or to fewer than none.
    case invalidTruncation(to: Int, count: Int)
    /// A truncation to fewer tokens than `earliest`, after sliding-window layers dropped positions that
    /// the next token would attend to.
    case truncationBeforeWindow(to: Int, earliest: Int)
    /// No tokens were given where some are needed.
    case emptyInput
    /// A batched decode with sessions of another model, a session twice, or a token count that does not
    /// match.
    case invalidBatch

    public var description: String {
        switch self {
        case let .tokenOutOfRange(id, index, size):
            "token id \(id) at index \(index) is outside the vocabulary (valid ids are 0..<\(size))"
        case let .contextFull(needed, capacity):
            "the sequence needs \(needed) positions but the context holds \(capacity)"
        case let .invalidTruncation(to, count):
            "cannot truncate a sequence of \(count) tokens to \(to)"
        case let .truncationBeforeWindow(to, earliest):
            "cannot truncate to \(to) tokens: the sliding-window layers have dropped positions that token would see (truncate to 0, or to \(earliest) or more)"
        case .emptyInput:
            "no tokens were given"
        case .invalidBatch:
            "a batch needs distinct sessions of one model, one token each"
        }
    }
}
