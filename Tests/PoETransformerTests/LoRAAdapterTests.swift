import Foundation
import PoE
import PoETransformer
import Testing

/// LoRA adapters on tiny models: every kind of target (a layer's projections, the token embedding, the
/// output matrix) gives what the merged weights W + scale · alpha/r · B A give, and every kind of bad
/// adapter is a sentence that names it.
@Suite struct LoRAAdapterTests {
    struct Pair {
        let target: String
        /// A as stored (for a projection (r, inputs); for the embedding (vocabulary, r)) and B ((outputs, r);
        /// for the embedding (d, r)), row-major.
        let a: [Float], aShape: [Int]
        let b: [Float], bShape: [Int]
    }

    static func random(_ count: Int, _ random: inout SplitMix64, scale: Float) -> [Float] {
        (0 ..< count).map { _ in (random.nextFloat() * 2 - 1) * scale }
    }

    /// Random pairs for a tiny model's embedding, output and two projections.
    static func pairs(_ tiny: TinyModel, rank r: Int) -> [Pair] {
        var rng = SplitMix64(seed: 42)
        let d = tiny.embedding, v = tiny.vocabulary, q = tiny.heads * tiny.headDimension
        func projection(_ name: String, inputs: Int, outputs: Int) -> Pair {
            Pair(target: name, a: random(r * inputs, &rng, scale: 0.5), aShape: [inputs, r], b: random(outputs * r, &rng, scale: 0.5), bShape: [r, outputs])
        }
        return [
            // GGUF shapes: the embedding's A is [r, vocabulary], its B [r, d].
            Pair(target: "token_embd.weight", a: random(v * r, &rng, scale: 0.5), aShape: [r, v], b: random(d * r, &rng, scale: 0.5), bShape: [r, d]),
            projection("output.weight", inputs: d, outputs: v),
            projection("blk.0.attn_q.weight", inputs: d, outputs: q),
            projection("blk.1.ffn_down.weight", inputs: tiny.feedForward, outputs: d),
        ]
    }

    static func adapterFile(_ pairs: [Pair], architecture: String, alpha: Float?, edit: (inout GGUFWriter) -> Void = { _ in }) throws -> String {
        var w = GGUFWriter()
        w.metadata = [("general.architecture", .string(architecture)), ("general.type", .string("adapter")), ("adapter.type", .string("lora"))]
        if let alpha { w.metadata.append(("adapter.lora.alpha", .float32(alpha))) }
        for pair in pairs {
            w.tensors.append(.init(name: pair.target + ".lora_a", type: .f32, shape: pair.aShape, data: pair.a.f32Bytes))
            w.tensors.append(.init(name: pair.target + ".lora_b", type: .f32, shape: pair.bShape, data: pair.b.f32Bytes))
        }
        edit(&w)
        return try w.write()
    }

    /// The tiny model's file with each target's weights replaced by W + factor · ΔW, in double precision.
    static func merged(_ tiny: TinyModel, _ pairs: [Pair], factor: Double) throws -> Transformer {
        var w = tiny.writer()
        for pair in pairs {
            let index = try #require(w.tensors.firstIndex { $0.name == pair.target })
            var values = w.tensors[index].data.f32Values.map(Double.init)
            let rowLength = w.tensors[index].shape[0], rows = w.tensors[index].shape[1]
            let r = pair.target == "token_embd.weight" ? pair.aShape[0] : pair.aShape[1]
            for row in 0 ..< rows {
                for column in 0 ..< rowLength {
                    var delta = 0.0
                    for k in 0 ..< r {
                        delta += pair.target == "token_embd.weight"
                            ? Double(pair.a[row * r + k]) * Double(pair.b[column * r + k])  // A[token] · B[j]
                            : Double(pair.b[row * r + k]) * Double(pair.a[k * rowLength + column])  // (B A)[o][i]
                    }
                    values[row * rowLength + column] += factor * delta
                }
            }
            w.tensors[index].data = values.map(Float.init).f32Bytes
        }
        return try Transformer(path: w.write())
    }

    @Test(arguments: ["llama", "gemma3"])
    func everyTargetEqualsMergedWeights(architecture: String) throws {
        var tiny = TinyModel()
        tiny.architecture = architecture
        tiny.separateOutput = true
        let pairs = Self.pairs(tiny, rank: 3)
        let base = try tiny.load()
        let adapter = try LoRAAdapter(path: Self.adapterFile(pairs, architecture: architecture, alpha: 6), for: base)
        #expect(adapter.rank == 3 && adapter.alpha == 6 && adapter.targets == pairs.map(\.target))
        let adapted = try base.adapted(by: [ScaledAdapter(adapter, scale: 0.5)])
        let reference = try Self.merged(tiny, pairs, factor: 0.5 * 6 / 3)
        let tokens: [TokenID] = [1, 5, 2, 9, 9, 3, 11, 0]
        let ours = try adapted.makeSession().append(tokens, logits: .all)
        let expected = try reference.makeSession().append(tokens, logits: .all)
        let baseLogits = try base.makeSession().append(tokens, logits: .all)
        let error = zip(ours.values, expected.values).map { abs($0 - $1) }.max() ?? 0
        let change = zip(ours.values, baseLogits.values).map { abs($0 - $1) }.max() ?? 0
        #expect(error < 1e-4, "\(architecture): largest difference from merged weights \(error)")
        #expect(change > 0.1, "\(architecture): the adapter changes the logits by only \(change)")
        // Alpha absent: the factor is the scale alone (llama.cpp's rule).
        let noAlpha = try LoRAAdapter(path: Self.adapterFile(pairs, architecture: architecture, alpha: nil), for: base)
        let unscaled = try base.adapted(by: [ScaledAdapter(noAlpha, scale: 0.5)]).makeSession().append(tokens, logits: .all)
        let unscaledReference = try Self.merged(tiny, pairs, factor: 0.5).makeSession().append(tokens, logits: .all)
        #expect((zip(unscaled.values, unscaledReference.values).map { abs($0 - $1) }.max() ?? 0) < 1e-4)
        // Scale 0 is the base model.
        let off = try base.adapted(by: [ScaledAdapter(adapter, scale: 0)]).makeSession().append(tokens, logits: .all)
        #expect(off.values == baseLogits.values)
    }

    /// Two adapters add up; the base model's sessions are untouched by its adapted views.
    @Test func adaptersAddUp() throws {
        var tiny = TinyModel()
        tiny.separateOutput = true
        let pairs = Self.pairs(tiny, rank: 2)
        let base = try tiny.load()
        let first = try LoRAAdapter(path: Self.adapterFile(Array(pairs.prefix(2)), architecture: "llama", alpha: nil), for: base)
        let second = try LoRAAdapter(path: Self.adapterFile(Array(pairs.suffix(2)), architecture: "llama", alpha: nil), for: base)
        let both = try base.adapted(by: [ScaledAdapter(first), ScaledAdapter(second)])
        let reference = try Self.merged(tiny, pairs, factor: 1)
        let tokens: [TokenID] = [2, 4, 6, 8]
        let ours = try both.makeSession().append(tokens, logits: .all)
        let expected = try reference.makeSession().append(tokens, logits: .all)
        #expect((zip(ours.values, expected.values).map { abs($0 - $1) }.max() ?? 0) < 1e-4)
        #expect(base.adapters.isEmpty && both.adapters.count == 2)
    }

    /// Each way an adapter can be wrong, in one sentence that names the file and the problem.
    @Test func badAdapters() throws {
        var tiny = TinyModel()
        tiny.separateOutput = true
        let model = try tiny.load()
        let pairs = Self.pairs(tiny, rank: 2)
        func problem(_ pairs: [Pair], architecture: String = "llama", edit: (inout GGUFWriter) -> Void = { _ in }) throws -> AdapterProblem? {
            let path = try Self.adapterFile(pairs, architecture: architecture, alpha: 4, edit: edit)
            do {
                _ = try LoRAAdapter(path: path, for: model)
                return nil
            } catch {
                #expect(error.path == path && error.description.hasPrefix(path + ": "))
                return error.problem
            }
        }
        #expect(try problem(pairs, architecture: "gemma3") == .architectureMismatch(adapter: "gemma3", model: "llama"))
        #expect(try problem(pairs) { $0.metadata[1] = ("general.type", .string("model")) } == .notAnAdapter("model"))
        #expect(try problem(pairs) { $0.metadata[2] = ("adapter.type", .string("control_vector")) } == .notLoRA("control_vector"))
        #expect(try problem(pairs) { $0.metadata[3] = ("adapter.lora.alpha", .string("8")) } == .invalidAlpha)
        #expect(try problem(pairs) { $0.tensors.removeLast() } == .missingHalf("blk.1.ffn_down.weight"))
        #expect(try problem(pairs) { $0.tensors[0].name = "token_embd.weight.lora_x" } == .unexpectedTensor("token_embd.weight.lora_x"))
        #expect(try problem([]) == .noPairs)
        let renamed = pairs.map { Pair(target: $0.target.replacingOccurrences(of: "blk.1.", with: "blk.7."), a: $0.a, aShape: $0.aShape, b: $0.b, bShape: $0.bShape) }
        #expect(try problem(renamed) == .unknownTarget("blk.7.ffn_down.weight"))
        let transposed = pairs.map { Pair(target: $0.target, a: $0.a, aShape: $0.aShape.reversed(), b: $0.b, bShape: $0.bShape) }
        guard case .wrongShape(tensor: "token_embd.weight", _, _, _)? = try problem(transposed) else {
            Issue.record("a transposed A is a shape error")
            return
        }
        // The embedding of a model that reuses it as its output matrix.
        let tied = try TinyModel().load()
        #expect(throws: AdapterError.self) { try LoRAAdapter(path: Self.adapterFile(pairs.prefix(1).map { $0 }, architecture: "llama", alpha: nil), for: tied) }
        // A scale that is not a number, and an adapter read for a model of other shapes.
        let adapter = try LoRAAdapter(path: Self.adapterFile(pairs, architecture: "llama", alpha: 4), for: model)
        #expect(throws: AdapterError.self) { try model.adapted(by: [ScaledAdapter(adapter, scale: .nan)]) }
        var wider = tiny
        wider.embedding = 16
        #expect(throws: AdapterError(path: adapter.path, problem: .readForAnotherModel)) { try wider.load().adapted(by: [ScaledAdapter(adapter)]) }
        // Not a GGUF file at all.
        let garbage = FileManager.default.temporaryDirectory.appendingPathComponent("poe-not-gguf-\(UUID().uuidString)").path
        try Data("not a gguf".utf8).write(to: URL(fileURLWithPath: garbage))
        #expect(throws: AdapterError.self) { try LoRAAdapter(path: garbage, for: model) }
    }
}

extension [UInt8] {
    var f32Values: [Float] {
        stride(from: 0, to: count, by: 4).map { i in
            Float(bitPattern: UInt32(self[i]) | UInt32(self[i + 1]) << 8 | UInt32(self[i + 2]) << 16 | UInt32(self[i + 3]) << 24)
        }
    }
}
