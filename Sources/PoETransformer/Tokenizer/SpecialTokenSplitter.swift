import PoE

/// A piece of text after special tokens are cut out: plain text (a byte range) or a special token.
enum Fragment: Equatable {
    case text(Range<Int>)
    case token(TokenID)
}

/// Cuts special tokens out of text before the tokenizer's model runs, as llama.cpp does
/// (`tokenizer_st_partition`).
///
/// Candidates are control, user-defined and unknown tokens, tried longest first: each is searched for, as
/// bytes, in every stretch of plain text left by the longer ones. Without `parseSpecial`, control and
/// unknown tokens are skipped, but user-defined tokens are still cut out (Gemma's runs of newlines and
/// spaces, its HTML tags).
struct SpecialTokenSplitter: Sendable {
    private struct Candidate: Sendable {
        let id: TokenID
        let bytes: [UInt8]
        let attributes: TokenAttributes
    }

    /// Longest first; equal lengths by id.
    private let candidates: [Candidate]

    init(vocabulary: Vocabulary) {
        var candidates: [Candidate] = []
        for (i, attributes) in vocabulary.attributes.enumerated()
        where !attributes.isDisjoint(with: [.control, .userDefined, .unknown]) {
            candidates.append(Candidate(id: TokenID(i), bytes: Array(vocabulary.pieces[i].utf8), attributes: attributes))
        }
        self.candidates = candidates.sorted { ($0.bytes.count, -$0.id) > ($1.bytes.count, -$1.id) }
    }

    func split(_ text: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !text.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0 ..< text.count)]
        // Only candidates whose first two bytes occur in the text can match; most of a large vocabulary's
        // special tokens (Gemma has 6 000 `<unusedN>`) are skipped without a search.
        var pairs = Set<UInt16>()
        for i in 0 ..< text.count { pairs.insert(UInt16(text[i]) << 8 | UInt16(i + 1 < text.count ? text[i + 1] : 0)) }
        let firstBytes = Set(text)
        for candidate in candidates {
            if !parseSpecial && !candidate.attributes.isDisjoint(with: [.control, .unknown]) { continue }
            let pattern = candidate.bytes
            if pattern.count >= 2 {
                guard pairs.contains(UInt16(pattern[0]) << 8 | UInt16(pattern[1])) else { continue }
            } else if let first = pattern.first {
                guard firstBytes.contains(first) else { continue }
            } else {
                continue
            }
            fragments = fragments.flatMap { fragment -> [Fragment] in
                guard case let .text(range) = fragment else { return [fragment] }
                return cut(candidate, out: range, of: text)
            }
        }
        return fragments
    }

    /// Every occurrence of `candidate` in `text[range]`, left to right, as token fragments between text ones.
    private func cut(_ candidate: Candidate, out range: Range<Int>, of text: [UInt8]) -> [Fragment] {
        var result: [Fragment] = []
        var start = range.lowerBound
        while let match = Self.find(candidate.bytes, in: text, from: start, before: range.upperBound) {
            var left = start ..< match
            if candidate.attributes.contains(.leftStrip) {
                while !left.isEmpty, Self.isSpace(text[left.upperBound - 1]) { left = left.lowerBound ..< left.upperBound - 1 }
            }
            if !left.isEmpty { result.append(.text(left)) }
            result.append(.token(candidate.id))
            start = match + candidate.bytes.count
            if candidate.attributes.contains(.rightStrip) {
                while start < range.upperBound, Self.isSpace(text[start]) { start += 1 }
            }
        }
        if start < range.upperBound { result.append(.text(start ..< range.upperBound)) }
        return result
    }

    private static func find(_ pattern: [UInt8], in text: [UInt8], from start: Int, before end: Int) -> Int? {
        guard pattern.count <= end - start else { return nil }
        let first = pattern[0]
        var i = start
        while i <= end - pattern.count {
            if text[i] == first, text[i ..< i + pattern.count].elementsEqual(pattern) { return i }
            i += 1
        }
        return nil
    }

    /// C's `isspace`: space, tab, newline, vertical tab, form feed, carriage return.
    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09 ... 0x0D).contains(byte) }
}
