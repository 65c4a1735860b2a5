import PoE

/// A tiny deterministic language model for tests: one token per character, and next-token logits that
/// depend only on the last token, read from a fixed table.
public final class TableModel: LanguageModel {
    public let vocabulary: Vocabulary
    public let tokenizer: CharacterTokenizer
    public let contextLength: Int
    /// `table[previous][next]`; row `count` is used before any token.
    let table: [[Float]]
    /// The sessions' chunk size (prompts taken in a chunk at a time give the same logits).
    public let chunkSize: Int

    /// Tokens: 0 `<bos>`, 1 `<eos>`, then every printable ASCII character and a newline.
    public init(contextLength: Int = 512, seed: UInt64 = 7, chunkSize: Int = .max) {
        self.chunkSize = chunkSize
        let characters = ["\n"] + (32 ... 126).map { String(UnicodeScalar(UInt8($0))) }
        let pieces = ["<bos>", "<eos>"] + characters
        vocabulary = Vocabulary(
            pieces: pieces, attributes: [.control, .control] + Array(repeating: .normal, count: characters.count),
            bos: 0, eos: 1, endOfGeneration: [1], addsBOS: true)
        tokenizer = CharacterTokenizer(vocabulary: vocabulary)
        self.contextLength = contextLength
        var generator = SeededGenerator(seed: seed)
        table = (0 ... pieces.count).map { _ in
            (0 ..< pieces.count).map { _ in Float(generator.nextUnit() * 8 - 4) }
        }
    }

    public func makeSession(capacity: Int?) throws -> TableSession {
        TableSession(model: self, capacity: capacity ?? contextLength)
    }

    /// The logits after `previous` (nil: at the start).
    public func logits(after previous: TokenID?) -> [Float] {
        table[previous.map { Int($0) } ?? vocabulary.count]
    }
}

public final class TableSession: LanguageModelSession {
    let model: TableModel
    public let capacity: Int
    public private(set) var tokens: [TokenID] = []
    public var chunkSize: Int { model.chunkSize }
    /// Tokens appended per call, in order.
    public private(set) var appends: [Int] = []

    init(model: TableModel, capacity: Int) {
        self.model = model
        self.capacity = capacity
    }

    public func append(_ new: [TokenID], logits request: LogitRequest) throws -> LogitMatrix {
        try model.vocabulary.validate(new)
        guard tokens.count + new.count <= capacity else {
            throw LanguageModelError.contextFull(needed: tokens.count + new.count, capacity: capacity)
        }
        let rows: [TokenID] = switch request {
        case .none: []
        case .last: new.last.map { [$0] } ?? []
        case .all: new
        }
        tokens += new
        appends.append(new.count)
        return LogitMatrix(rows: rows.count, columns: model.vocabulary.count, values: rows.flatMap { model.logits(after: $0) })
    }

    public func truncate(to count: Int) throws { tokens.removeLast(tokens.count - count) }

    public func fork() throws -> TableSession {
        let copy = TableSession(model: model, capacity: capacity)
        copy.tokens = tokens
        return copy
    }
}

/// One token per character of the table model's vocabulary; `<bos>` and `<eos>` only when parsed.
public struct CharacterTokenizer: Tokenizer {
    public let vocabulary: Vocabulary

    public func encode(segments: [TextSegment], addSpecial: Bool) throws -> SegmentedTokens {
        var ids: [TokenID] = addSpecial ? [0] : []
        var ranges: [Range<Int>] = []
        for segment in segments {
            let start = ids.count
            var text = Substring(segment.text)
            while let character = text.first {
                if segment.parseSpecial, let special = ["<bos>", "<eos>"].firstIndex(where: { text.hasPrefix($0) }) {
                    ids.append(TokenID(special))
                    text = text.dropFirst(5)
                    continue
                }
                guard let index = vocabulary.pieces.firstIndex(of: String(character)), index >= 2 else {
                    throw LanguageModelError.emptyInput
                }
                ids.append(TokenID(index))
                text = text.dropFirst()
            }
            ranges.append(start ..< ids.count)
        }
        return SegmentedTokens(ids: ids, segmentRanges: ranges)
    }

    public func pieceBytes(_ id: TokenID, renderSpecial: Bool) -> [UInt8] { decodeBytes([id], renderSpecial: renderSpecial) }

    public func decodeBytes(_ ids: [TokenID], renderSpecial: Bool) -> [UInt8] {
        ids.flatMap { id -> [UInt8] in
            guard vocabulary.contains(id) else { return [] }
            if id < 2 && !renderSpecial { return [] }
            return Array(vocabulary.pieces[Int(id)].utf8)
        }
    }

    public var unsettledSuffixLength: Int { 0 }
}
