import Foundation
import FuzzSupport
import PoE
import PoETransformer

/// Arbitrary bytes through both tokenizer families: SentencePiece (Gemma 3's vocabulary, and Llama 2's
/// with its space prefix) and byte-level BPE (SmolLM2's). Text in, ids out and back:
/// - encoding never crashes, with or without special tokens parsed;
/// - every id is in the vocabulary;
/// - decoding the ids of plain text (no special tokens parsed, none added) gives the text back wherever
///   the tokenizer promises it (`decodesBack`: no space cleaning, every byte has a token, and for
///   SentencePiece no "▁" in the text, which llama.cpp too decodes as a space);
/// - the streaming decoder, fed one id at a time, gives the same text as decoding all at once.
private let tokenizers: [(name: String, tokenizer: GGUFTokenizer)] = ["gemma-3-270m", "smollm2-135m-instruct", "vocab-llama-spm"].map {
    ($0, loadTokenizer($0))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Invalid UTF-8 becomes U+FFFD here, as it would reading a file; the properties hold for that text.
    let text = String(decoding: fuzzBytes(data, size), as: UTF8.self)
    for (name, tokenizer) in tokenizers {
        let vocabulary = tokenizer.vocabulary
        _ = try? tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        guard let ids = try? tokenizer.encode(text, addSpecial: false, parseSpecial: false) else {
            fuzzCheck(!tokenizer.unrepresentableBytes.isDisjoint(with: text.utf8), "\(name): encoding plain text threw")
            continue
        }
        fuzzCheck(ids.allSatisfy(vocabulary.contains), "\(name): an id outside the vocabulary")
        let decoded = tokenizer.decode(ids)
        if tokenizer.decodesBack(text) {
            fuzzCheck(decoded == text, "\(name): decode(encode(\(text.debugDescription))) is \(decoded.debugDescription)")
        }
        var stream = StreamingDecoder(tokenizer: tokenizer)
        var streamed = ""
        for id in ids { streamed += stream.append(id) }
        streamed += stream.finish()
        fuzzCheck(streamed == tokenizer.decode(ids), "\(name): streaming decoding differs for \(text.debugDescription)")
    }
    return 0
}
