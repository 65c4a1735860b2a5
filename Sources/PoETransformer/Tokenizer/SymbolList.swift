/// A word being merged, as both of llama.cpp's merging tokenizers hold it (`llm_symbol`): its UTF-8
/// characters as a doubly linked list of byte ranges, in which a merge joins a symbol with its right-hand
/// neighbour. Symbols never move, so an index names a symbol for the whole merge.
struct SymbolList {
    struct Symbol {
        var start: Int
        var length: Int
        var previous: Int
        var next: Int
    }

    private var symbols: [Symbol] = []

    /// One symbol per UTF-8 character of `bytes` (a character cut short by the end counts as one); nil
    /// when `bytes` is empty.
    init?(characters bytes: UnsafeBufferPointer<UInt8>) {
        var offset = 0
        while offset < bytes.count {
            let length = min(utf8Length(leadByte: bytes[offset]), bytes.count - offset)
            symbols.append(Symbol(start: offset, length: length, previous: symbols.count - 1, next: symbols.count + 1))
            offset += length
        }
        guard !symbols.isEmpty else { return nil }
        symbols[symbols.count - 1].next = -1
    }

    var count: Int { symbols.count }

    subscript(index: Int) -> Symbol { symbols[index] }

    /// Joins `right` into `left`, the symbol before it; `right` is left empty (length 0).
    mutating func merge(_ left: Int, _ right: Int) {
        let absorbed = symbols[right]
        symbols[left].length += absorbed.length
        symbols[right].length = 0
        symbols[left].next = absorbed.next
        if absorbed.next >= 0 { symbols[absorbed.next].previous = left }
    }

    /// Calls `body` with each remaining symbol's byte range, in order.
    func forEachPiece<E: Error>(_ body: (Range<Int>) throws(E) -> Void) throws(E) {
        var i = 0
        while i != -1 {
            try body(symbols[i].start ..< symbols[i].start + symbols[i].length)
            i = symbols[i].next
        }
    }
}
