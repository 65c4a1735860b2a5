/// Text to token ids and back, exactly as the model's own tokenizer does it.
public protocol Tokenizer: Sendable {
    var vocabulary: Vocabulary { get }

    /// The ids of `text`.
    ///
    /// - Parameters:
    ///   - addSpecial: put BOS (and EOS) around the ids where the vocabulary asks for them.
    ///   - parseSpecial: recognise control tokens written in the text (`<start_of_turn>`, `<|im_end|>`). Off,
    ///     such text is tokenized as plain characters, so user text can never forge a control token.
    func encode(_ text: String, addSpecial: Bool, parseSpecial: Bool) throws -> [TokenID]

    /// The text of `ids` as UTF-8 bytes (which may end inside a character). Control tokens are rendered
    /// only with `renderSpecial`.
    func decodeBytes(_ ids: [TokenID], renderSpecial: Bool) -> [UInt8]

    /// How many bytes at the end of a decoding may still change when more tokens follow (llama.cpp's
    /// space clean-up looks one or two characters ahead); 0 when decoding only appends.
    var unsettledSuffixLength: Int { get }
}

extension Tokenizer {
    /// The text of `ids`; bytes that do not form valid UTF-8 become U+FFFD.
    public func decode(_ ids: [TokenID], renderSpecial: Bool = false) -> String {
        String(decoding: decodeBytes(ids, renderSpecial: renderSpecial), as: UTF8.self)
    }
}
