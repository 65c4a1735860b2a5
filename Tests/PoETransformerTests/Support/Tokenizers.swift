import Foundation
import PoEModels
import PoETransformer

/// The tokenizers under test, each loaded once (from the file's metadata only).
enum Tokenizers {
    static let names = RealModels.names + [
        "vocab-llama-spm", "vocab-phi-3", "vocab-gpt-2", "vocab-mpt", "vocab-llama-bpe", "vocab-qwen2",
        "vocab-refact", "vocab-starcoder", "vocab-command-r",
    ]

    private static let loaded: [String: Result<GGUFTokenizer, any Error>] = Dictionary(
        uniqueKeysWithValues: names.map { name in
            (name, Result { try GGUFTokenizer(path: ModelStore().resolve(name).path) })
        })

    static func named(_ name: String) throws -> GGUFTokenizer {
        guard let result = loaded[name] else { throw ModelStoreError.unknownModel(name) }
        return try result.get()
    }
}

struct TokenizerCases: Decodable {
    struct Case: Decodable {
        let id: String
        let text: String
    }

    let cases: [Case]

    static let shared = Result { try Fixtures.load(TokenizerCases.self, "tokenizer/cases.json") }

    static func texts() throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try shared.get().cases.map { ($0.id, $0.text) })
    }
}

struct TokenizerFixture: Decodable {
    struct Entry: Decodable {
        let `case`: String
        let add_special: Bool
        let parse_special: Bool
        let ids: [Int32]
        /// llama.cpp's decoding, where it is not the text itself.
        let decoded: String?
        /// The same with special tokens rendered, where it differs from `decoded`.
        let decoded_special: String?
    }

    struct BigText: Decodable {
        let cases: [String]
        let separator: String
        let `repeat`: Int
        let count: Int
        let fnv1a64: String
    }

    let tokenizer: String
    let entries: [Entry]
    let big_text: BigText

    static func load(_ name: String) throws -> TokenizerFixture {
        try Fixtures.load(TokenizerFixture.self, "tokenizer/\(name).json")
    }
}
