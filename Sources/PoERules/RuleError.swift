import PoE

/// Why an expert or a rule set could not be built.
public enum RuleError: Error, Equatable, CustomStringConvertible {
    /// A text that should name one token is not a single token of the model's vocabulary.
    case notOneToken(expert: String, text: String)
    /// A token id outside the model's vocabulary.
    case tokenOutOfRange(expert: String, id: TokenID, vocabularySize: Int)
    /// The model has no EOS token for the EOS ramp.
    case noEOSToken
    /// An expert model's vocabulary differs from the base model's.
    case vocabularyMismatch(expert: String, expected: Int, found: Int, firstDifference: Int?)
    /// A name that is neither a preset nor a file.
    case unknownPreset(String, known: [String])
    /// A rule-set file that cannot be read or is not valid (the reason names the field, or the line and
    /// column).
    case invalidFile(path: String, reason: String)
    /// Two lists that go in pairs have different lengths.
    case mismatchedLengths(expert: String, first: String, firstCount: Int, second: String, secondCount: Int)

    public var description: String {
        switch self {
        case let .notOneToken(expert, text):
            "\(expert): \(text.debugDescription) is not a single token of this model's vocabulary"
        case let .tokenOutOfRange(expert, id, size):
            "\(expert): token id \(id) is outside the vocabulary (valid ids are 0..<\(size))"
        case .noEOSToken:
            "eosRamp: the model's vocabulary has no EOS token"
        case let .vocabularyMismatch(expert, expected, found, first):
            if expected != found {
                "\(expert): the expert model has \(found) tokens, the base model \(expected); their vocabularies must be equal"
            } else {
                "\(expert): the expert model's vocabulary differs from the base model's (first at token \(first ?? 0))"
            }
        case let .unknownPreset(name, known):
            "unknown rule set '\(name)': not a preset (\(known.joined(separator: ", "))) nor a file"
        case let .invalidFile(path, reason):
            "\(path): \(reason)"
        case let .mismatchedLengths(expert, first, firstCount, second, secondCount):
            "\(expert): '\(first)' has \(firstCount) entries but '\(second)' has \(secondCount); they go in pairs"
        }
    }
}
