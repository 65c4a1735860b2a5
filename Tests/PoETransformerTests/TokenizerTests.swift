import Foundation
import PoE
import PoETransformer
import Testing

/// Token ids and decodings equal llama.cpp's, for both real models and llama.cpp's own test vocabularies
/// (fixtures from scripts/llama_reference.py).
@Suite struct TokenizerTests {
    @Test(arguments: Tokenizers.names)
    func encodesLikeLlamaCpp(name: String) throws {
        let tokenizer = try Tokenizers.named(name)
        let fixture = try TokenizerFixture.load(name)
        let texts = try TokenizerCases.texts()
        var mismatches: [String] = []
        for entry in fixture.entries {
            let text = try #require(texts[entry.case])
            let ids = try tokenizer.encode(text, addSpecial: entry.add_special, parseSpecial: entry.parse_special)
            if ids != entry.ids {
                mismatches.append("\(entry.case) special=\(entry.add_special)/\(entry.parse_special): \(ids.prefix(12)) vs \(entry.ids.prefix(12))")
            }
        }
        print("[tokenizer] \(name): \(fixture.entries.count - mismatches.count)/\(fixture.entries.count) encodings equal llama.cpp's")
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) of \(fixture.entries.count) differ, first: \(mismatches.prefix(3))")
    }

    @Test(arguments: Tokenizers.names)
    func decodesLikeLlamaCpp(name: String) throws {
        let tokenizer = try Tokenizers.named(name)
        let fixture = try TokenizerFixture.load(name)
        let texts = try TokenizerCases.texts()
        var mismatches: [String] = []
        for entry in fixture.entries {
            let plain = try #require(entry.decoded ?? texts[entry.case])
            let special = entry.decoded_special ?? plain
            if tokenizer.decode(entry.ids) != plain { mismatches.append("\(entry.case): \(tokenizer.decode(entry.ids).debugDescription)") }
            if tokenizer.decode(entry.ids, renderSpecial: true) != special { mismatches.append("\(entry.case) (special)") }
        }
        #expect(mismatches.isEmpty, "\(name): \(mismatches.count) decodings differ, first: \(mismatches.prefix(3))")
    }

    /// The two real models give every text back exactly (no normalization, no clean-up).
    @Test(arguments: RealModels.names)
    func roundTrips(name: String) throws {
        let tokenizer = try Tokenizers.named(name)
        for (id, text) in try TokenizerCases.texts() {
            let ids = try tokenizer.encode(text, addSpecial: false, parseSpecial: false)
            #expect(tokenizer.decode(ids) == text, "\(name) \(id)")
        }
    }

    /// Where decoding cannot give a text back, as llama.cpp's cannot either, `decodesBack` says so (found by
    /// FuzzTokenizer): SentencePiece's space marker decodes as a space; SmolLM2 has no token for 0x14.
    @Test func whereTextsDoNotComeBack() throws {
        let gemma = try Tokenizers.named("gemma-3-270m"), smollm = try Tokenizers.named("smollm2-135m-instruct")
        let marked = " <|c   ello\u{2581}r"
        let markedIDs = try gemma.encode(marked, addSpecial: false, parseSpecial: false)
        #expect(!gemma.decodesBack(marked) && gemma.decode(markedIDs) == " <|c   ello r")
        #expect(smollm.decodesBack(marked))
        #expect(smollm.unrepresentableBytes.contains(0x14) && !smollm.decodesBack("\u{14} ="))
        let controlIDs = try smollm.encode("\u{14} =", addSpecial: false, parseSpecial: false)
        #expect(smollm.decode(controlIDs) == " =")
        for (_, text) in try TokenizerCases.texts() { #expect(gemma.decodesBack(text) && smollm.decodesBack(text)) }
    }

    /// A text of over 1 MB tokenizes to llama.cpp's ids (compared by count and fingerprint) and back.
    @Test(arguments: Tokenizers.names)
    func megabyteText(name: String) throws {
        let tokenizer = try Tokenizers.named(name)
        let big = try TokenizerFixture.load(name).big_text
        let texts = try TokenizerCases.texts()
        let unit = try big.cases.map { try #require(texts[$0]) }.joined(separator: big.separator) + big.separator
        let text = String(repeating: unit, count: big.repeat)
        #expect(text.utf8.count >= 1_000_000)
        let ids = try tokenizer.encode(text, addSpecial: false, parseSpecial: false)
        #expect(ids.count == big.count, "\(name): \(ids.count) ids, llama.cpp \(big.count)")
        #expect(Self.fnv1a64(ids) == big.fnv1a64, "\(name): the ids differ from llama.cpp's")
        if RealModels.names.contains(name) { #expect(tokenizer.decode(ids) == text) }
    }

    @Test(arguments: Tokenizers.names)
    func emptyText(name: String) throws {
        let tokenizer = try Tokenizers.named(name)
        #expect(try tokenizer.encode("", addSpecial: false, parseSpecial: false) == [])
        let withSpecial = try tokenizer.encode("", addSpecial: true, parseSpecial: false)
        #expect(withSpecial == (tokenizer.vocabulary.addsBOS ? [tokenizer.vocabulary.bos!] : []))
        #expect(tokenizer.decode([]) == "")
    }

    /// Plain text never becomes a control token; with `parseSpecial` it does.
    @Test func controlTokensOnlyWhenAsked() throws {
        for (name, tag) in [("gemma-3-270m", "<start_of_turn>"), ("smollm2-135m-instruct", "<|im_end|>")] {
            let tokenizer = try Tokenizers.named(name)
            let id = try #require(tokenizer.vocabulary.pieces.firstIndex(of: tag).map { TokenID($0) })
            #expect(tokenizer.vocabulary.attributes[Int(id)].contains(.control))
            #expect(try tokenizer.encode(tag, addSpecial: false, parseSpecial: true) == [id])
            #expect(try !tokenizer.encode(tag, addSpecial: false, parseSpecial: false).contains(id))
        }
    }

    static func fnv1a64(_ ids: [TokenID]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for id in ids {
            withUnsafeBytes(of: id.littleEndian) { bytes in
                for byte in bytes { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Streaming never splits a character and, once finished, gives exactly the whole decoding.
@Suite struct StreamingDecoderTests {
    @Test(arguments: Tokenizers.names)
    func tokenByTokenEqualsWhole(name: String) throws {
        let tokenizer = try Tokenizers.named(name)
        let fixture = try TokenizerFixture.load(name)
        for entry in fixture.entries {
            var decoder = StreamingDecoder(tokenizer: tokenizer)
            var streamed = ""
            for id in entry.ids {
                let chunk = decoder.append(id)
                #expect(!chunk.contains("\u{FFFD}"), "\(name) \(entry.case): a chunk split a character")
                streamed += chunk
            }
            streamed += decoder.finish()
            #expect(streamed == tokenizer.decode(entry.ids), "\(name) \(entry.case)")
        }
    }

    /// The incremental decoding equals `decodeBytes` of the tokens so far at every step, on sequences
    /// crowded with what llama.cpp's space clean-up looks for (spaces, apostrophes, `?!.,`, `s m re ve t d`),
    /// where decoding in parts could go wrong.
    @Test(arguments: Tokenizers.names)
    func incrementalDecodingEqualsWholeDecodingAtEveryStep(name: String) throws {
        let tokenizer = try Tokenizers.named(name)
        let tricky = [" ", "'", " '", "' ", "?", "!", ".", ",", " ?", " .", "s", "m", "re", "ve", "t", "d", "r", "v", "e", " s", "  ", "a", "é"]
            .flatMap { (try? tokenizer.encode($0, addSpecial: false, parseSpecial: false)) ?? [] }
        var generator = SplitMix64(seed: 20_261_203)
        for renderSpecial in [false, true] {
            for _ in 0 ..< 60 {
                var decoding = tokenizer.makeIncrementalDecoding(renderSpecial: renderSpecial)
                var ids: [TokenID] = []
                for _ in 0 ..< 48 {
                    let pick = generator.next() % 8
                    let id = pick == 0 ? TokenID(generator.next() % UInt64(tokenizer.vocabulary.count)) : tricky[Int(generator.next() % UInt64(tricky.count))]
                    ids.append(id)
                    decoding.append(id)
                    let whole = tokenizer.decodeBytes(ids, renderSpecial: renderSpecial)
                    guard decoding.bytes(from: 0) == whole, decoding.byteCount == whole.count else {
                        Issue.record("\(name): after \(ids) the incremental decoding differs from the whole one")
                        return
                    }
                    let tail = max(0, whole.count - 3)
                    #expect(decoding.bytes(from: tail) == Array(whole[tail...]))
                }
            }
        }
    }

    /// llama.cpp's clean-up can still remove a space when "?" arrives; it is held back until then.
    @Test func holdsBackWhatTheCleanUpMayChange() throws {
        let gpt2 = try Tokenizers.named("vocab-gpt-2")
        let ids = try gpt2.encode("Really ?", addSpecial: false, parseSpecial: false)
        var decoder = StreamingDecoder(tokenizer: gpt2)
        var text = ""
        for id in ids { text += decoder.append(id) }
        text += decoder.finish()
        #expect(text == "Really?")
    }

    /// A token's piece keeps the space that decoding a whole text strips from its start (SentencePiece
    /// with a space prefix), so that a token can be found by its own text (" I" in Llama 2).
    @Test func aPieceKeepsItsLeadingSpace() throws {
        let llama = try Tokenizers.named("vocab-llama-spm")
        let ids = try llama.encode("I", addSpecial: false, parseSpecial: false)
        try #require(ids.count == 1)
        #expect(llama.pieceBytes(ids[0]) == Array(" I".utf8))
        #expect(llama.decodeBytes(ids) == Array("I".utf8))
    }

    @Test func characterBoundaries() {
        let bytes = Array("a€😀".utf8)  // 1 + 3 + 4 bytes
        for end in 0 ... bytes.count {
            let cut = StreamingDecoder.lastCharacterBoundary(in: bytes, before: end, notBefore: 0)
            #expect([0, 1, 4, 8].contains(cut) && cut <= end && (end - cut) < 4, "end \(end) -> \(cut)")
        }
    }
}
