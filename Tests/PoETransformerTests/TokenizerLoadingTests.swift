import Foundation
import PoE
import PoETransformer
import Testing

/// Vocabularies that cannot work give a `TokenizerError` that says why; odd but valid ones work.
@Suite struct TokenizerLoadingTests {
    static func metadata(model: String, tokens: [String], extra: [(String, GGUFValue)] = []) throws -> GGUFMetadata {
        var writer = GGUFWriter()
        writer.metadata = [
            ("tokenizer.ggml.model", .string(model)),
            ("tokenizer.ggml.tokens", .array(elementType: .string, values: tokens.map { .string($0) })),
        ] + extra
        return try GGUFFile(path: writer.write()).metadata
    }

    static func strings(_ values: [String]) -> GGUFValue {
        .array(elementType: .string, values: values.map { .string($0) })
    }

    /// An empty token list was once accepted: `poe tokenize` printed nothing and exited 0.
    @Test func emptyVocabulary() throws {
        for model in ["gpt2", "llama"] {
            let metadata = try Self.metadata(model: model, tokens: [])
            #expect(throws: TokenizerError.emptyVocabulary) { try GGUFTokenizer(metadata: metadata) }
        }
    }

    @Test func byteLevelVocabularyWithoutMerges() throws {
        let metadata = try Self.metadata(model: "gpt2", tokens: ["a", "b", "Ġ"])
        #expect(throws: TokenizerError.missingMerges) { try GGUFTokenizer(metadata: metadata) }
    }

    /// An empty merge list is valid: every character stays its own token.
    @Test func byteLevelVocabularyWithNoMergesListed() throws {
        let metadata = try Self.metadata(model: "gpt2", tokens: ["a", "b", "Ġ"], extra: [("tokenizer.ggml.merges", Self.strings([]))])
        let tokenizer = try GGUFTokenizer(metadata: metadata)
        #expect(try tokenizer.encode("ab a", addSpecial: false, parseSpecial: false) == [0, 1, 2, 0])
        #expect(tokenizer.decode([0, 1, 2, 0]) == "ab a")
    }

    @Test func mergesAreApplied() throws {
        let metadata = try Self.metadata(
            model: "gpt2", tokens: ["a", "b", "Ġ", "ab", "Ġa"],
            extra: [("tokenizer.ggml.merges", Self.strings(["a b", "Ġ a"])), ("tokenizer.ggml.pre", .string("gpt-2"))])
        let tokenizer = try GGUFTokenizer(metadata: metadata)
        #expect(try tokenizer.encode("ab a", addSpecial: false, parseSpecial: false) == [3, 4])
    }

    @Test func unsupportedTokenizerModel() throws {
        let metadata = try Self.metadata(model: "bert", tokens: ["[CLS]"])
        #expect(throws: TokenizerError.unsupportedModel("bert")) { try GGUFTokenizer(metadata: metadata) }
    }

    @Test func unsupportedPreTokenizer() throws {
        let metadata = try Self.metadata(
            model: "gpt2", tokens: ["a"], extra: [("tokenizer.ggml.merges", Self.strings([])), ("tokenizer.ggml.pre", .string("falcon"))])
        #expect(throws: TokenizerError.unsupportedPreTokenizer("falcon")) { try GGUFTokenizer(metadata: metadata) }
    }

    @Test func duplicateTokens() throws {
        let metadata = try Self.metadata(model: "llama", tokens: ["<unk>", "<s>", "</s>", "▁a", "▁a"])
        #expect(throws: TokenizerError.duplicateToken(text: "▁a", first: 3, second: 4)) { try GGUFTokenizer(metadata: metadata) }
    }

    @Test func missingBOS() throws {
        let metadata = try Self.metadata(
            model: "llama", tokens: ["<unk>"], extra: [("tokenizer.ggml.add_bos_token", .bool(true))])
        #expect(throws: TokenizerError.missingSpecialToken(key: "tokenizer.ggml.add_bos_token")) { try GGUFTokenizer(metadata: metadata) }
    }

    /// SentencePiece falls back to byte tokens; without them a character it cannot spell is an error.
    @Test func sentencePieceByteFallback() throws {
        let withBytes = try Self.metadata(
            model: "llama", tokens: ["<unk>", "<s>", "</s>", "▁"] + (0 ..< 256).map { String(format: "<0x%02X>", $0) },
            extra: [("tokenizer.ggml.token_type", .array(elementType: .int32, values: [.int32(2), .int32(3), .int32(3), .int32(1)] + Array(repeating: .int32(6), count: 256)))])
        let tokenizer = try GGUFTokenizer(metadata: withBytes)
        let ids = try tokenizer.encode("é", addSpecial: false, parseSpecial: false)
        #expect(ids == [3, 4 + 0xC3, 4 + 0xA9])  // "▁" (the space prefix), then the two bytes of é
        #expect(tokenizer.decode(ids) == "é")

        let withoutBytes = try Self.metadata(model: "llama", tokens: ["<unk>", "<s>", "</s>", "▁"])
        #expect(throws: TokenizerError.missingByteToken(0xC3)) {
            try GGUFTokenizer(metadata: withoutBytes).encode("é", addSpecial: false, parseSpecial: false)
        }
    }
}
