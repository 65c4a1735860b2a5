import Foundation
import PoE
import PoEModels
import PoETransformer
import Testing

/// Every architecture against llama.cpp and the float64 pass, on small random-weight models
/// (`scripts/llama_reference.py architectures`): each with the tokenizer of llama.cpp's vocabulary file
/// for its family, its own tensors and keys, and a few quantized matrices (F16, Q5_0, Q6_K, Q8_0, Q4_1).
///
/// The fixture holds the model without its tokenizer and embedding matrices, which are most of its bytes;
/// `wholeModel` adds them back as the script did for llama.cpp: the tokenizer keys from the vocabulary file
/// the catalog fetches, the embeddings from the generator both implement.
@Suite struct ArchitectureAgreementTests {
    struct Fixture: Decodable {
        let model: String
        let architecture: String
        let vocabulary: String
        let text: String
        let embedding_seed: UInt64
        let tied: Bool
        let sequences: [LogitsFixture.Sequence]
    }

    static let cases = ["llama3", "mistral", "qwen2", "qwen3", "olmo", "olmo2", "phi3", "gemma2"]

    /// The model llama.cpp ran for `name`, written to a temporary file, and its fixture.
    static func wholeModel(_ name: String) throws -> (Transformer, Fixture) {
        let fixture = try Fixtures.load(Fixture.self, "architectures/\(name).json")
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let part = try GGUFFile(path: fixtures.appendingPathComponent("architectures/\(name).gguf").path)
        let vocabulary = try GGUFFile(path: ModelStore().resolve(fixture.vocabulary).path)
        var writer = GGUFWriter()
        writer.metadata = part.metadata.keys.compactMap { key in part.metadata[key].map { (key, $0) } }
        writer.metadata += vocabulary.metadata.keys.filter { $0.hasPrefix("tokenizer.") }.compactMap { key in vocabulary.metadata[key].map { (key, $0) } }
        let rows = vocabulary.metadata["tokenizer.ggml.tokens"]?.array?.count ?? 0
        let d = try #require(part.metadata["\(fixture.architecture).embedding_length"]?.integer)
        writer.tensors.append(embedding("token_embd.weight", seed: fixture.embedding_seed, rows: rows, width: d, scale: 1))
        if !fixture.tied {
            writer.tensors.append(embedding("output.weight", seed: fixture.embedding_seed + 1, rows: rows, width: d, scale: 0.5))
        }
        for tensor in part.tensors {
            writer.tensors.append(.init(name: tensor.name, type: tensor.type, shape: tensor.shape, data: Array(part.bytes(of: tensor))))
        }
        let path = try writer.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        return (try Transformer(path: path), fixture)
    }

    /// A (rows, width) F16 matrix from tiny_models.py's `embedding_values`: value i is k · 2^-9 · scale,
    /// k the top byte of splitmix64's i-th output less 128; every one exact in F16.
    static func embedding(_ name: String, seed: UInt64, rows: Int, width: Int, scale: Float) -> GGUFWriter.Tensor {
        var random = SplitMix64(seed: seed)
        var data: [UInt8] = []
        data.reserveCapacity(rows * width * 2)
        for _ in 0 ..< rows * width {
            let value = Float(Int(random.next() >> 56) - 128) * 0x1p-9 * scale
            data.append(le: Float16(value).bitPattern)
        }
        return .init(name: name, type: .f16, shape: [width, rows], data: data)
    }

    /// The whole sequence as one prompt, then one token at a time, against the float64 pass (as exactly
    /// as float32 allows) and llama.cpp (mean KL under 0.01, the same top token at 95 % of positions or more:
    /// llama.cpp rounds the quantized products' activations to 8 bits, and random models' distributions
    /// are flat enough for that to swap a near tie now and then).
    @Test(arguments: cases)
    func logitsAgree(name: String) throws {
        let (model, fixture) = try Self.wholeModel(name)
        #expect(model.config.architecture.rawValue == fixture.architecture)
        for sequence in fixture.sequences {
            let what = "\(name) \(sequence.name)"
            // Our tokenizer reads the text as llama.cpp did.
            let ids = try model.tokenizer.encode(fixture.text, addSpecial: true, parseSpecial: false)
            #expect(Array(ids.prefix(sequence.ids.count)) == sequence.ids, "\(what): tokens")

            let prompt = try model.makeSession(capacity: sequence.context).append(sequence.ids, logits: .all)
            let decoding = try model.makeSession(capacity: sequence.context)  // the context llama.cpp ran with
            var exact = Agreement(), llamaCpp = Agreement(), stepped = Agreement(), llamaCppSelf = Agreement()
            for (index, position) in sequence.positions.enumerated() {
                let step = try decoding.append([sequence.ids[position]], logits: .last)
                exact.add(reference: sequence.float64, index: index, candidate: LogitRow(matrix: prompt, row: position))
                llamaCpp.add(reference: sequence.llama_cpp, index: index, candidate: LogitRow(matrix: prompt, row: position))
                stepped.add(reference: sequence.float64, index: index, candidate: LogitRow(matrix: step, row: 0))
                llamaCppSelf.add(reference: sequence.llama_cpp, index: index, candidate: FixtureRow(distribution: sequence.llama_cpp_decode, index: index))
            }
            print("[architecture] \(what) vs float64: \(exact)")
            print("[architecture] \(what) one token at a time vs float64: \(stepped)")
            print("[architecture] \(what) vs llama.cpp: \(llamaCpp)")
            print("[architecture] \(what) llama.cpp one token at a time vs its prompt: \(llamaCppSelf)")
            LlamaCppAgreementTests.expectExact(exact, what)
            LlamaCppAgreementTests.expectExact(stepped, "\(what) one token at a time")
            #expect(llamaCpp.meanKL < 0.01, "\(what): mean KL \(llamaCpp.meanKL) against llama.cpp")
            #expect(llamaCpp.topOneRate >= 0.95, "\(what): top-1 \(llamaCpp.topOneAgreements)/\(llamaCpp.positions) against llama.cpp")
        }
    }
}
