import PoE

/// The tokenizer a GGUF file describes (`tokenizer.ggml.*`): SentencePiece or byte-level BPE, producing
/// the same ids as llama.cpp.
public final class GGUFTokenizer: Tokenizer {
    enum Model: Sendable {
        case sentencePiece(SentencePieceModel, addSpacePrefix: Bool)
        case bytePair(BytePairModel, PreTokenizer)
    }

    public let vocabulary: Vocabulary
    let model: Model
    let specials: SpecialTokenSplitter
    let pieces: TokenPieces
    /// Decoding removes one leading space (SentencePiece models that add one when encoding).
    let stripsLeadingSpace: Bool
    /// Decoding applies llama.cpp's `clean_spaces` passes.
    let cleansSpaces: Bool

    /// Bytes that no token stands for: encoding drops them (byte-level BPE, as llama.cpp does; SmolLM2's
    /// vocabulary lacks a few control characters) or throws `TokenizerError.missingByteToken`
    /// (SentencePiece without that byte-fallback token).
    public let unrepresentableBytes: Set<UInt8>

    /// Whether decoding the ids of `text` (encoded as plain text, no special tokens added or parsed) gives
    /// `text` back. It does, as in llama.cpp, except where decoding cleans spaces as some BPE vocabularies
    /// ask (" ." to "."), where a byte of the text has no token (`unrepresentableBytes`), and, for
    /// SentencePiece, where the text holds its space marker "▁" (U+2581), which decodes as a space.
    public func decodesBack(_ text: String) -> Bool {
        if cleansSpaces || !unrepresentableBytes.isDisjoint(with: text.utf8) { return false }
        if case .sentencePiece = model, text.unicodeScalars.contains("\u{2581}") { return false }
        return true
    }

    /// The tokenizer of a GGUF file; the file may hold only a vocabulary.
    public convenience init(path: String) throws {
        try self.init(metadata: GGUFFile(path: path).metadata)
    }

    /// The tokenizer a file's metadata describes (`tokenizer.ggml.*`).
    public init(metadata: GGUFMetadata) throws(TokenizerError) {
        let name: String
        do { name = try metadata.string("tokenizer.ggml.model") ?? "llama" } catch { throw .metadata(error) }
        switch name {
        case "llama":
            vocabulary = try Vocabulary(gguf: metadata, kind: .sentencePiece, defaultAddsBOS: true)
            let tokens = try Self.tokenTable(vocabulary)
            var scores: [Float]
            do { scores = try metadata.floats("tokenizer.ggml.scores") ?? [] } catch { throw .metadata(error) }
            if scores.count < vocabulary.count { scores += [Float](repeating: 0, count: vocabulary.count - scores.count) }
            let addSpacePrefix: Bool
            do { addSpacePrefix = try metadata.bool("tokenizer.ggml.add_space_prefix") ?? true } catch { throw .metadata(error) }
            let byteTokens: [TokenID?] = (0 ... 255).map { byte in
                let hex = String(byte, radix: 16, uppercase: true)
                return tokens.value(for: Array("<0x\(hex.count == 1 ? "0" + hex : hex)>".utf8)) ?? tokens.value(for: [UInt8(byte)])
            }
            model = .sentencePiece(SentencePieceModel(tokens: tokens, scores: scores, byteTokens: byteTokens), addSpacePrefix: addSpacePrefix)
            unrepresentableBytes = Set((0 ... 255).filter { byteTokens[$0] == nil }.map(UInt8.init))
            stripsLeadingSpace = addSpacePrefix
            cleansSpaces = false
        case "gpt2":
            let pre: PreTokenizer
            do { pre = try PreTokenizer(name: metadata.string("tokenizer.ggml.pre") ?? "default") } catch let error as TokenizerError {
                throw error
            } catch {
                throw .metadata(error as? GGUFMetadataError ?? .missingKey("tokenizer.ggml.pre"))
            }
            vocabulary = try Vocabulary(gguf: metadata, kind: .bytePair, defaultAddsBOS: pre.addsBOS)
            let merges: [String]
            do {
                guard let list = try metadata.strings("tokenizer.ggml.merges") else { throw TokenizerError.missingMerges }
                merges = list
            } catch let error as TokenizerError {
                throw error
            } catch {
                throw .metadata(error as? GGUFMetadataError ?? .missingKey("tokenizer.ggml.merges"))
            }
            // A merge is stored as its line, "left right"; lookups join the pair the same way. A repeated
            // merge keeps its first rank, as in llama.cpp.
            let ranks = ByteStringTable(merges.enumerated().map { (key: Array($0.element.utf8), value: Int32($0.offset)) }) { _, _ in }
            let tokens = try Self.tokenTable(vocabulary)
            unrepresentableBytes = Set((0 ... 255).filter { tokens.value(for: ByteLevelAlphabet.encoded[$0]) == nil }.map(UInt8.init))
            model = .bytePair(BytePairModel(tokens: tokens, ranks: ranks, ignoresMerges: pre.ignoresMerges), pre)
            do { stripsLeadingSpace = try metadata.bool("tokenizer.ggml.add_space_prefix") ?? false } catch { throw .metadata(error) }
            cleansSpaces = pre.cleansSpaces
        default:
            throw .unsupportedModel(name)
        }
        specials = SpecialTokenSplitter(vocabulary: vocabulary)
        let byteLevel = if case .bytePair = model { true } else { false }
        pieces = TokenPieces(vocabulary: vocabulary, byteLevel: byteLevel)
    }

    /// Token text → id; llama.cpp refuses a vocabulary with two tokens of the same text, and so do we.
    private static func tokenTable(_ vocabulary: Vocabulary) throws(TokenizerError) -> ByteStringTable {
        do {
            return try ByteStringTable(vocabulary.pieces.enumerated().map { (key: Array($0.element.utf8), value: Int32($0.offset)) }) { first, second in
                throw TokenizerError.duplicateToken(text: vocabulary.pieces[first], first: first, second: second)
            }
        } catch let error as TokenizerError {
            throw error
        } catch {
            throw .unsupportedModel("\(error)")  // not reached: the closure throws only TokenizerError
        }
    }

    // MARK: - Encoding

    public func encode(segments: [TextSegment], addSpecial: Bool) throws -> SegmentedTokens {
        var output: [TokenID] = []
        if addSpecial, vocabulary.addsBOS, let bos = vocabulary.bos { output.append(bos) }
        var ranges: [Range<Int>] = []
        // SentencePiece puts a space before the first stretch of text and each one after a special token.
        var afterSpecial = true
        for segment in segments {
            let start = output.count
            let bytes = Array(segment.text.utf8)
            for fragment in specials.split(bytes, parseSpecial: segment.parseSpecial) {
                switch fragment {
                case let .text(range):
                    try tokenize(bytes[range], afterSpecial: afterSpecial, into: &output)
                    afterSpecial = false
                case let .token(id):
                    output.append(id)
                    afterSpecial = true
                }
            }
            ranges.append(start ..< output.count)
        }
        if addSpecial, vocabulary.addsEOS, let eos = vocabulary.eos { output.append(eos) }
        return SegmentedTokens(ids: output, segmentRanges: ranges)
    }

    /// Appends the tokens of one stretch of plain text.
    private func tokenize(_ text: ArraySlice<UInt8>, afterSpecial: Bool, into output: inout [TokenID]) throws {
        switch model {
        case let .sentencePiece(spm, addSpacePrefix):
            var escaped: [UInt8] = []
            escaped.reserveCapacity(text.count + 4)
            if addSpacePrefix && afterSpecial { escaped += [0xE2, 0x96, 0x81] }
            for byte in text {
                if byte == 0x20 { escaped += [0xE2, 0x96, 0x81] } else { escaped.append(byte) }  // ' ' -> '▁'
            }
            try spm.tokenize(escaped, into: &output)
        case let .bytePair(bpe, pre):
            let scalars = Array(String(decoding: text, as: UTF8.self).unicodeScalars)
            for word in pre.split(ClassifiedText(scalars)) {
                var encoded: [UInt8] = []
                for scalar in scalars[word] {
                    for byte in String(scalar).utf8 { encoded += ByteLevelAlphabet.encoded[Int(byte)] }
                }
                bpe.tokenize(word: encoded, into: &output)
            }
        }
    }

    // MARK: - Decoding

    public func decodeBytes(_ ids: [TokenID], renderSpecial: Bool = false) -> [UInt8] {
        var output: [UInt8] = []
        // llama.cpp removes one space from the first token's piece, even when that piece is BOS's (empty).
        var stripSpace = stripsLeadingSpace
        for id in ids {
            var piece = pieces.piece(id, renderSpecial: renderSpecial)
            if stripSpace, piece.first == 0x20 { piece = piece.dropFirst() }
            stripSpace = false
            output += piece
        }
        return cleansSpaces ? Self.cleanSpaces(output) : output
    }

    public func pieceBytes(_ id: TokenID, renderSpecial: Bool = false) -> [UInt8] {
        Array(pieces.piece(id, renderSpecial: renderSpecial))
    }

    public var unsettledSuffixLength: Int { cleansSpaces ? 4 : 0 }

    public func makeIncrementalDecoding(renderSpecial: Bool) -> any IncrementalDecoding {
        GGUFIncrementalDecoding(tokenizer: self, renderSpecial: renderSpecial)
    }

    /// llama.cpp's `clean_spaces` passes (for GPT-2 style vocabularies), ported index for index: drop the
    /// space in " ?", " !", " .", " ,"; turn " ' " into "'"; drop the space before 's 'm 're 've.
    static func cleanSpaces(_ input: [UInt8]) -> [UInt8] {
        var text = input
        let space: UInt8 = 0x20, apostrophe: UInt8 = 0x27
        // First pass.
        var total1 = text.count, total = total1 > 0 ? 1 : 0
        var i = 1
        while i < total1 {
            let x = text[i]
            if text[i - 1] == space, [0x3F, 0x21, 0x2E, 0x2C].contains(x) { total -= 1 }  // ? ! . ,
            text[total] = x
            total += 1
            i += 1
        }
        // Second pass. (Writing 0 over the skipped space is llama.cpp's; it hides that space from the
        // next character's look back.)
        let total2 = total
        total = total2 > 0 ? 1 : 0
        i = 1
        while i < total2 {
            let x = text[i]
            if x == apostrophe, i + 1 < total2, text[i - 1] == space, text[i + 1] == space {
                total -= 1
                i += 1
                text[i] = 0
            }
            text[total] = x
            total += 1
            i += 1
        }
        // Third pass.
        let total3 = total
        total = total3 > 0 ? 1 : 0
        i = 1
        while i < total3 {
            let x = text[i]
            if text[i - 1] == space, x == apostrophe, i + 1 < total3 {
                let x1 = text[i + 1]
                if x1 == 0x73 || x1 == 0x6D {  // 's 'm
                    total -= 1
                } else if x1 != 0x74, x1 != 0x64, i + 2 < total3 {  // not 't 'd
                    let x2 = text[i + 2]
                    if (x1 == 0x72 && x2 == 0x65) || (x1 == 0x76 && x2 == 0x65) { total -= 1 }  // 're 've
                }
            }
            text[total] = x
            total += 1
            i += 1
        }
        total1 = total
        return Array(text[..<total1])
    }
}
