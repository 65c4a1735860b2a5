import Foundation
import PoE
import PoETransformer
import Testing

/// A file that parses but is not a model we can run gives a `ModelLoadError` naming the problem.
@Suite struct ModelLoadingTests {
    func problem(_ writer: GGUFWriter) throws -> ModelLoadProblem? {
        let path = try writer.write()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try GGUFFile(path: path)
        do {
            _ = try Transformer(file: file)
            return nil
        } catch {
            #expect(error.path == path)
            return error.problem
        }
    }

    @Test func tinyModelsLoad() throws {
        for architecture in TransformerConfig.Architecture.allCases {
            var tiny = TinyModel()
            tiny.architecture = architecture.rawValue
            #expect(try problem(tiny.writer()) == nil, "\(architecture)")
        }
    }

    @Test func unknownArchitecture() throws {
        var writer = TinyModel().writer()
        writer.metadata[0] = ("general.architecture", .string("mamba"))
        #expect(try problem(writer) == .unsupportedArchitecture("mamba"))
    }

    @Test func missingRequiredKey() throws {
        var writer = TinyModel().writer()
        writer.metadata.removeAll { $0.key == "llama.block_count" }
        #expect(try problem(writer) == .metadata(.missingKey("llama.block_count")))
        writer = TinyModel().writer()
        writer.metadata.removeAll { $0.key == "tokenizer.ggml.tokens" }
        #expect(try problem(writer) == .tokenizer(.metadata(.missingKey("tokenizer.ggml.tokens"))))
    }

    @Test func wrongKeyType() throws {
        var writer = TinyModel().writer()
        writer.metadata.removeAll { $0.key == "llama.embedding_length" }
        writer.metadata.append(("llama.embedding_length", .string("eight")))
        #expect(try problem(writer) == .metadata(.wrongType(key: "llama.embedding_length", expected: "an integer", found: .string)))
    }

    @Test func impossibleHyperparameters() throws {
        var writer = TinyModel().writer()
        writer.metadata.removeAll { $0.key == "llama.attention.head_count_kv" }
        writer.metadata.append(("llama.attention.head_count_kv", .uint32(3)))
        guard case .invalidHyperparameter(key: "llama.attention.head_count_kv", _, _)? = try problem(writer) else {
            Issue.record("expected invalidHyperparameter")
            return
        }
        writer = TinyModel().writer()
        writer.metadata.removeAll { $0.key == "llama.block_count" }
        writer.metadata.append(("llama.block_count", .int32(-1)))
        guard case .invalidHyperparameter(key: "llama.block_count", _, _)? = try problem(writer) else {
            Issue.record("expected invalidHyperparameter")
            return
        }
        // Found by FuzzGGUF: a huge layer count hung the loader, which sized arrays by it before any check.
        writer = TinyModel().writer()
        writer.metadata.removeAll { $0.key == "llama.block_count" }
        writer.metadata.append(("llama.block_count", .int32(1 << 30)))
        #expect(try problem(writer) == .invalidHyperparameter(key: "llama.block_count", value: "1073741824", requirement: "it must be at most 512 (llama.cpp's limit)"))
    }

    @Test(arguments: [("llama.attention.layer_norm_rms_epsilon", Float.nan), ("llama.rope.freq_base", -1)])
    func nonsenseFloats(key: String, value: Float) throws {
        var writer = TinyModel().writer()
        writer.metadata.removeAll { $0.key == key }
        writer.metadata.append((key, .float32(value)))
        guard case .invalidHyperparameter(key: key, _, _)? = try problem(writer) else {
            Issue.record("expected invalidHyperparameter for \(key)")
            return
        }
    }

    @Test func missingTensor() throws {
        var writer = TinyModel().writer()
        writer.tensors.removeAll { $0.name == "blk.1.ffn_up.weight" }
        #expect(try problem(writer) == .missingTensor("blk.1.ffn_up.weight"))
    }

    @Test func wrongTensorShape() throws {
        var writer = TinyModel().writer()
        let index = try #require(writer.tensors.firstIndex { $0.name == "blk.0.attn_q.weight" })
        writer.tensors[index].shape = [16, 4]
        #expect(try problem(writer) == .wrongShape(tensor: "blk.0.attn_q.weight", expected: [8, 8], found: [16, 4]))
    }

    @Test func unsupportedTensorType() throws {
        // A Q2_K token embedding needs rows of whole 256-value blocks, so the model is 256 wide here.
        var writer = TinyModel().writer()
        writer.tensors[0] = .init(name: "token_embd.weight", type: .q2_K, shape: [256, 12], data: [UInt8](repeating: 0, count: 84 * 12))
        writer.metadata.removeAll { $0.key == "llama.embedding_length" }
        writer.metadata.append(("llama.embedding_length", .uint32(256)))
        #expect(try problem(writer) == .unsupportedTensorType(UnsupportedTensorType(tensor: "token_embd.weight", type: .q2_K)))
    }

    @Test func unsupportedRoPEScaling() throws {
        var writer = TinyModel().writer()
        writer.metadata.append(("llama.rope.scaling.type", .string("dynamic")))
        #expect(try problem(writer) == .unsupported(feature: "RoPE scaling 'dynamic' ('llama.rope.scaling.type')"))
    }

    /// llama.cpp refuses a file with tensors its architecture does not read, and so do we, naming them.
    @Test func unreadTensors() throws {
        var writer = TinyModel().writer()
        writer.tensors.append(.init(name: "blk.0.attn_sinks.weight", type: .f32, shape: [2], data: [Float](repeating: 0, count: 2).f32Bytes))
        #expect(try problem(writer) == .unusedTensors(architecture: "llama", names: ["blk.0.attn_sinks.weight"]))
        // Gemma 2 ties its output to the embedding: llama.cpp never reads an output matrix there.
        var tiny = TinyModel()
        tiny.architecture = "gemma2"
        writer = tiny.writer()
        writer.tensors.append(.init(name: "output.weight", type: .f32, shape: [tiny.embedding, tiny.vocabulary], data: [Float](repeating: 0, count: 96).f32Bytes))
        #expect(try problem(writer) == .unusedTensors(architecture: "gemma2", names: ["output.weight"]))
    }

    /// OLMo 2 has no tied output; its absence is a missing tensor.
    @Test func requiredOutput() throws {
        var tiny = TinyModel()
        tiny.architecture = "olmo2"
        var writer = tiny.writer()
        writer.tensors.removeAll { $0.name == "output.weight" }
        #expect(try problem(writer) == .missingTensor("output.weight"))
    }

    /// Which layers slide, per design and per file: Gemma 2 every other layer with a default window; Olmo 3 by
    /// the file's flags; Phi-3's window is ignored, as llama.cpp ignores it.
    @Test func slidingWindowPatterns() throws {
        var tiny = TinyModel()
        tiny.layers = 5
        tiny.architecture = "gemma2"
        var writer = tiny.writer()
        writer.metadata.removeAll { $0.key == "gemma2.attention.sliding_window" }
        var config = try Transformer(path: writer.write()).config
        #expect(config.layers.map(\.window) == [4096, nil, 4096, nil, 4096])
        #expect(config.attentionSoftcap == 50 && config.finalLogitSoftcap == 30)
        tiny.architecture = "olmo2"
        writer = tiny.writer()
        writer.metadata.append(("olmo2.attention.sliding_window_pattern", .array(elementType: .bool, values: [true, false, false, true, false].map { .bool($0) })))
        config = try Transformer(path: writer.write()).config
        #expect(config.layers.map(\.window) == [4, nil, nil, 4, nil])
        tiny.architecture = "phi3"
        writer = tiny.writer()
        writer.metadata.append(("phi3.attention.sliding_window", .uint32(4)))
        config = try Transformer(path: writer.write()).config
        #expect(config.layers.allSatisfy { $0.window == nil })
        writer.metadata.append(("phi3.rope.scaling.attn_factor", .float32(.nan)))
        #expect(try problem(writer) == .invalidHyperparameter(key: "phi3.rope.scaling.attn_factor", value: "nan", requirement: "it must be a finite number"))
    }

    @Test func gemmaLayerPattern() throws {
        var tiny = TinyModel()
        tiny.architecture = "gemma3"
        tiny.layers = 7
        let config = try tiny.load().config
        #expect(config.layers.map { $0.window != nil } == [true, true, true, true, true, false, true])
        #expect(config.layers.map(\.ropeBase) == [10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000])
        let gemma = try RealModels.named("gemma-3-270m").config
        #expect(gemma.layers.filter { $0.window == nil }.count == 3)
        #expect(gemma.layers[5] == .init(ropeBase: 1_000_000, ropeScale: 1, window: nil))
        #expect(gemma.layers[0] == .init(ropeBase: 10_000, ropeScale: 1, window: 512))
        #expect(gemma.attentionScale == 1.0 / 16)
    }
}
