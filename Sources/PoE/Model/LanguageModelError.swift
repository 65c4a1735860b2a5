/// Errors a language model or one of its sessions throws for bad input.
public enum LanguageModelError: Error, Equatable, CustomStringConvertible {
    case tokenOutOfRange(id: TokenID, index: Int, vocabularySize: Int)
    case contextFull(needed: Int, capacity: Int)
    case invalidTruncation(to: Int, count: Int)
    case emptyInput
    case invalidBatch

    public var description: String {
        switch self {
        case let .tokenOutOfRange(id, index, size):
            "token id \(id) at index \(index) is outside the vocabulary (valid ids are 0..<\(size))"
        case let .contextFull(needed, capacity):
            "the sequence needs \(needed) positions but the context holds \(capacity)"
        case let .invalidTruncation(to, count):
            "cannot truncate a sequence of \(count) tokens to \(to)"
        case .emptyInput:
            "no tokens were given"
        case .invalidBatch:
            "a batch needs distinct sessions of one model, one token each"
        }
    }
}
