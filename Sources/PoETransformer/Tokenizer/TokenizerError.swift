/// Why a tokenizer could not be built from a file's metadata, or could not encode a text.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// A tokenizer key is missing or wrong.
    case metadata(GGUFMetadataError)
    /// A tokenizer model other than SentencePiece (`llama`) or byte-level BPE (`gpt2`).
    case unsupportedModel(String)
    /// A BPE pre-tokenizer swift-poe does not know.
    case unsupportedPreTokenizer(String)
    /// A BPE vocabulary without its merges.
    case missingMerges
    /// Two tokens with the same text.
    case duplicateToken(text: String, first: Int, second: Int)
    /// A special token id that is outside the vocabulary.
    case missingSpecialToken(key: String)
    /// A byte-fallback vocabulary without the token for this byte.
    case missingByteToken(UInt8)
    /// No tokens at all.
    case emptyVocabulary

    public var description: String {
        switch self {
        case let .metadata(error):
            "\(error)"
        case let .unsupportedModel(name):
            "tokenizer model '\(name)' is not supported (supported: 'llama' for SentencePiece, 'gpt2' for byte-level BPE)"
        case let .unsupportedPreTokenizer(name):
            "pre-tokenizer '\(name)' ('tokenizer.ggml.pre') is not supported (supported: \(PreTokenizer.supportedNames.joined(separator: ", ")))"
        case .missingMerges:
            "the byte-level BPE vocabulary has no merges ('tokenizer.ggml.merges')"
        case let .duplicateToken(text, first, second):
            "tokens \(first) and \(second) have the same text \(text.debugDescription)"
        case let .missingSpecialToken(key):
            "'\(key)' is true but the vocabulary has no such token"
        case .emptyVocabulary:
            "the vocabulary is empty ('tokenizer.ggml.tokens' holds no tokens)"
        case let .missingByteToken(byte):
            "the vocabulary has no token for byte 0x\(String(byte, radix: 16, uppercase: true)) (no '<0xNN>' token and no one-byte token)"
        }
    }
}
