import PoE

/// Keeps texts out of the response: any token that would complete a banned text (given the response so
/// far) gets −∞.
///
/// Built from the vocabulary once: the tokens whose text contains a banned text, and for each way of
/// splitting a banned text into an end of the response and a start of a token, the tokens that start so.
public struct BannedStrings: Expert {
    /// The texts the response may not contain.
    public let strings: [String]
    private let tokenizer: any Tokenizer
    /// The banned texts, as bytes, and the longest one's length.
    private let texts: [[UInt8]]
    private let longest: Int
    private let alwaysBanned: [TokenID]
    /// −∞ on `alwaysBanned`: the scores while the response does not end in a start of a banned text.
    private let alwaysScores: ExpertScores
    /// For banned text i and split k: the tokens whose text starts with `text[k...]` (bytes).
    private let completing: [[[TokenID]]]

    /// An expert banning `strings` for a model with `tokenizer`.
    public init(_ strings: [String], tokenizer: some Tokenizer) {
        let banned = strings.map { Array($0.utf8) }.filter { !$0.isEmpty }
        let vocabulary = tokenizer.vocabulary
        let pieces = (0 ..< vocabulary.count).map { tokenizer.pieceBytes(TokenID($0), renderSpecial: false) }
        var always: Set<TokenID> = []
        var completing: [[[TokenID]]] = []
        for text in banned {
            var byStart = [[TokenID]](repeating: [], count: text.count)
            for (id, piece) in pieces.enumerated() where !piece.isEmpty {
                if Self.contains(piece, text) { always.insert(TokenID(id)) }
                for k in 1 ..< text.count where piece.starts(with: text[k...]) { byStart[k].append(TokenID(id)) }
            }
            completing.append(byStart)
        }
        self.strings = strings
        self.tokenizer = tokenizer
        texts = banned
        longest = banned.map(\.count).max() ?? 0
        alwaysBanned = always.sorted()
        alwaysScores = .sparse(ids: alwaysBanned, values: [Float](repeating: -.infinity, count: alwaysBanned.count))
        self.completing = completing
    }

    public var name: String { "bannedStrings" }

    public func start(_ prompt: Prompt) throws -> any ExpertState { State(banned: self) }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0 ... haystack.count - needle.count).contains { haystack[$0 ..< $0 + needle.count].elementsEqual(needle) }
    }

    final class State: ExpertState {
        let banned: BannedStrings
        /// The end of the response so far, as bytes (as long as the longest banned text).
        private var tail: [UInt8] = []

        init(banned: BannedStrings) { self.banned = banned }

        func scores(_ step: ExpertStep) -> ExpertScores {
            var ids: Set<TokenID>?
            for (text, byStart) in zip(banned.texts, banned.completing) {
                for k in 1 ..< text.count where tail.count >= k && tail.suffix(k).elementsEqual(text[..<k]) {
                    ids = (ids ?? Set(banned.alwaysBanned)).union(byStart[k])
                }
            }
            guard let ids else { return banned.alwaysScores }
            let sorted = ids.sorted()
            return .sparse(ids: sorted, values: [Float](repeating: -.infinity, count: sorted.count))
        }

        func accept(_ token: TokenID) {
            tail += banned.tokenizer.pieceBytes(token, renderSpecial: false)
            if tail.count > banned.longest { tail.removeFirst(tail.count - banned.longest) }
        }
    }
}
