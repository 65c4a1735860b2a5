import PoE

/// Each token's text as bytes, rendered as llama.cpp's `token_to_piece` renders it, computed once.
///
/// Control, unknown and user-defined tokens show their text verbatim (control and unknown only when
/// special tokens are rendered); normal tokens turn `▁` back into spaces (SentencePiece) or their byte
/// alphabet back into bytes (BPE); byte tokens `<0xNN>` are that byte; anything else is empty.
struct TokenPieces: Sendable {
    private let bytes: [UInt8]
    /// Token i's piece is `bytes[starts[i] ..< starts[i + 1]]`.
    private let starts: [Int32]
    private let hidden: [Bool]

    init(vocabulary: Vocabulary, byteLevel: Bool) {
        var bytes: [UInt8] = []
        var starts: [Int32] = [0]
        var hidden: [Bool] = []
        for (text, attributes) in zip(vocabulary.pieces, vocabulary.attributes) {
            if !attributes.isDisjoint(with: [.unknown, .control, .userDefined]) {
                bytes += text.utf8
            } else if attributes.contains(.normal) {
                bytes += byteLevel ? Self.byteLevelDecoded(text) : Self.unescaped(text)
            } else if attributes.contains(.byte) {
                bytes.append(Self.byteValue(text))
            }
            starts.append(Int32(bytes.count))
            hidden.append(!attributes.isDisjoint(with: [.unknown, .control]))
        }
        self.bytes = bytes
        self.starts = starts
        self.hidden = hidden
    }

    /// A token's piece; an id outside the vocabulary renders as U+FFFD.
    func piece(_ id: TokenID, renderSpecial: Bool) -> ArraySlice<UInt8> {
        guard id >= 0, Int(id) < hidden.count else { return [0xEF, 0xBF, 0xBD] }
        if hidden[Int(id)] && !renderSpecial { return [] }
        return bytes[Int(starts[Int(id)]) ..< Int(starts[Int(id) + 1])]
    }

    /// SentencePiece's `▁` (U+2581) back to a space.
    private static func unescaped(_ text: String) -> [UInt8] {
        Array(text.replacingOccurrences(of: "\u{2581}", with: " ").utf8)
    }

    /// GPT-2's byte alphabet back to bytes; a character outside it becomes llama.cpp's
    /// `[UNK_BYTE_0x<its UTF-8 in hex><the token's text>]`.
    private static func byteLevelDecoded(_ text: String) -> [UInt8] {
        var result: [UInt8] = []
        for scalar in text.unicodeScalars {
            if let byte = ByteLevelAlphabet.decoded[scalar.value] {
                result.append(byte)
            } else {
                let hex = String(scalar).utf8.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
                result += Array("[UNK_BYTE_0x\(hex)\(text)]".utf8)
            }
        }
        return result
    }

    /// The byte of a `<0xNN>` token (characters 3 and 4 in hex; 0 if they are not).
    private static func byteValue(_ text: String) -> UInt8 {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 5 else { return 0 }
        return UInt8(String(decoding: utf8[3 ..< 5], as: UTF8.self), radix: 16) ?? 0
    }
}
