import Foundation

/// Reads the JSON fixtures that `scripts/llama_reference.py` writes.
enum Fixtures {
    static func load<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: root.appendingPathComponent(path)))
    }
}

struct LogitsFixture: Decodable {
    /// A reference's view of the next-token distribution at each sampled position.
    struct Distribution: Decodable {
        let top_ids: [[Int32]]
        let top_logits: [[Double]]
        let logsumexp: [Double]
        let argmax: [Int32]
    }

    struct Sequence: Decodable {
        let name: String
        /// The context llama.cpp ran with, where it matters (Phi-3's LongRoPE factors depend on it).
        let context: Int?
        let ids: [Int32]
        let positions: [Int]
        /// llama.cpp given the whole sequence as a prompt.
        let llama_cpp: Distribution
        /// llama.cpp given one token at a time, at the ids of `llama_cpp`'s top-k.
        let llama_cpp_decode: Distribution
        /// The float64 numpy forward pass.
        let float64: Distribution
    }

    let model: String
    let top_k: Int
    let sequences: [Sequence]
}

struct VocabularyFixture: Decodable {
    let size: Int
    let bos: Int32?
    let eos: Int32?
    let end_of_generation: [Int32]
    let add_bos: Bool
    let context_length: Int
}

struct DequantizationFixture: Decodable {
    struct Synthetic: Decodable {
        let type: String
        let bytes: String
        let values: [Double]
    }

    struct Row: Decodable {
        let model: String
        let tensor: String
        let type: String
        let row: Int
        let values: [Double]
    }

    let synthetic: [Synthetic]
    let rows: [Row]
}

extension [UInt8] {
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index ..< next], radix: 16)!)
            index = next
        }
        self = bytes
    }
}
