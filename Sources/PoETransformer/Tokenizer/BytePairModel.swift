import HeapModule
import PoE

/// Byte-level BPE as llama.cpp runs it (`llm_tokenizer_bpe`): each pre-tokenized word, spelled in GPT-2's
/// byte alphabet, starts as its characters; the adjacent pair with the lowest merge rank is joined (the
/// leftmost among equals) until no pair has a rank.
struct BytePairModel: Sendable {
    let tokens: ByteStringTable
    /// `"left right"` → rank (the merge's position in `tokenizer.ggml.merges`).
    let ranks: ByteStringTable
    /// Take a word that is itself a token whole (Llama 3).
    let ignoresMerges: Bool

    private struct Candidate: Comparable {
        let left: Int
        let right: Int
        let rank: Int32
        /// The two symbols' lengths when the pair was found; symbols never move, so equal lengths later
        /// mean the same text.
        let leftLength: Int
        let rightLength: Int

        /// The heap's minimum is the next merge: lowest rank, then lowest position.
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.rank < b.rank || (a.rank == b.rank && a.left < b.left)
        }
    }

    /// Appends the tokens of one word, already in the byte alphabet.
    func tokenize(word: [UInt8], into output: inout [TokenID]) {
        word.withUnsafeBufferPointer { bytes in
            if ignoresMerges, let id = tokens.value(for: bytes) {
                output.append(id)
                return
            }
            guard var symbols = SymbolList(characters: bytes) else { return }

            var queue = Heap<Candidate>()
            var key: [UInt8] = []
            func consider(_ left: Int, _ right: Int) {
                guard left >= 0, right >= 0 else { return }
                let l = symbols[left], r = symbols[right]
                key.removeAll(keepingCapacity: true)
                key += bytes[l.start ..< l.start + l.length]
                key.append(0x20)
                key += bytes[r.start ..< r.start + r.length]
                guard let rank = ranks.value(for: key) else { return }
                queue.insert(Candidate(left: left, right: right, rank: rank, leftLength: l.length, rightLength: r.length))
            }
            for i in 1 ..< symbols.count { consider(i - 1, i) }

            while let best = queue.popMin() {
                let left = symbols[best.left], right = symbols[best.right]
                // Skip pairs that an earlier merge changed.
                guard left.length == best.leftLength, right.length == best.rightLength else { continue }
                symbols.merge(best.left, best.right)
                consider(symbols[best.left].previous, best.left)
                consider(best.left, symbols[best.left].next)
            }

            symbols.forEachPiece { range in
                let piece = UnsafeBufferPointer(rebasing: bytes[range])
                if let id = tokens.value(for: piece) {
                    output.append(id)
                } else {
                    // Not reached with consistent merges. llama.cpp then looks each byte up as a one-byte
                    // token and drops those it cannot find; so do we.
                    for byte in piece {
                        if let id = tokens.value(for: [byte]) { output.append(id) }
                    }
                }
            }
        }
    }
}
