import HeapModule
import PoE

/// SentencePiece tokenization as llama.cpp runs it (`llm_tokenizer_spm`): start from the UTF-8 characters
/// of the text, repeatedly merge the adjacent pair whose joined text is the vocabulary token with the
/// highest score (the leftmost among equals), and spell any character that is not a token as byte tokens.
struct SentencePieceModel: Sendable {
    let tokens: ByteStringTable
    let scores: [Float]
    /// Byte value → its `<0xNN>` token (or, failing that, the one-byte token), when the vocabulary has one.
    let byteTokens: [TokenID?]

    private struct Candidate: Comparable {
        let left: Int
        let right: Int
        let score: Float
        let length: Int

        /// The heap's maximum is the next merge: highest score, then lowest position.
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.score < b.score || (a.score == b.score && a.left > b.left)
        }
    }

    /// Appends the tokens of `text` (spaces already escaped as `▁`).
    func tokenize(_ text: [UInt8], into output: inout [TokenID]) throws(TokenizerError) {
        try text.withUnsafeBufferPointer { (bytes) throws(TokenizerError) in
            guard var symbols = SymbolList(characters: bytes) else { return }
            var queue = Heap<Candidate>()
            func consider(_ left: Int, _ right: Int) {
                guard left >= 0, right >= 0 else { return }
                let start = symbols[left].start, length = symbols[left].length + symbols[right].length
                guard let id = tokens.value(for: UnsafeBufferPointer(rebasing: bytes[start ..< start + length])) else { return }
                queue.insert(Candidate(left: left, right: right, score: scores[Int(id)], length: length))
            }
            for i in 1 ..< symbols.count { consider(i - 1, i) }

            while let best = queue.popMax() {
                let left = symbols[best.left], right = symbols[best.right]
                // Skip pairs that an earlier merge used up.
                guard left.length > 0, right.length > 0, left.length + right.length == best.length else { continue }
                symbols.merge(best.left, best.right)
                consider(symbols[best.left].previous, best.left)
                consider(best.left, symbols[best.left].next)
            }

            try symbols.forEachPiece { (range) throws(TokenizerError) in
                let piece = UnsafeBufferPointer(rebasing: bytes[range])
                if let id = tokens.value(for: piece) {
                    output.append(id)
                } else {
                    for byte in piece {
                        guard let id = byteTokens[Int(byte)] else { throw .missingByteToken(byte) }
                        output.append(id)
                    }
                }
            }
        }
    }
}

/// The length of a UTF-8 sequence from its first byte, as llama.cpp reads it (no validation: a stray
/// continuation byte counts as one).
func utf8Length(leadByte: UInt8) -> Int {
    switch leadByte >> 4 {
    case 0xC, 0xD: 2
    case 0xE: 3
    case 0xF: 4
    default: 1
    }
}
