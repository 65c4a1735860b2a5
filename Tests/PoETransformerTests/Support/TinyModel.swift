import PoETransformer

/// A tiny GGUF of any architecture with random F32 weights (the tensors its design asks for), for loading
/// and session tests.
struct TinyModel {
    var architecture = "llama"
    var vocabulary = 12
    var embedding = 8
    var heads = 2
    var kvHeads = 1
    var headDimension = 4
    var feedForward = 16
    var layers = 2
    var context = 64
    var window = 4
    /// Write `output.weight` instead of reusing the token embedding (always for OLMo 2, never for Gemma 2).
    var separateOutput = false

    func writer(seed: UInt64 = 1) -> GGUFWriter {
        var random = SplitMix64(seed: seed)
        let a = architecture
        let design = TransformerConfig.Architecture(rawValue: a)?.design ?? TransformerConfig.Architecture.llama.design
        var w = GGUFWriter()
        w.metadata = [
            ("general.architecture", .string(a)),
            ("\(a).context_length", .uint32(UInt32(context))),
            ("\(a).embedding_length", .uint32(UInt32(embedding))),
            ("\(a).block_count", .uint32(UInt32(layers))),
            ("\(a).feed_forward_length", .uint32(UInt32(feedForward))),
            ("\(a).attention.head_count", .uint32(UInt32(heads))),
            ("\(a).attention.head_count_kv", .uint32(UInt32(kvHeads))),
            ("\(a).attention.key_length", .uint32(UInt32(headDimension))),
            ("\(a).attention.value_length", .uint32(UInt32(headDimension))),
            (design.inputNorm == .layerNorm ? "\(a).attention.layer_norm_epsilon" : "\(a).attention.layer_norm_rms_epsilon", .float32(1e-6)),
            ("\(a).rope.freq_base", .float32(10_000)),
            ("tokenizer.ggml.model", .string("llama")),
            ("tokenizer.ggml.tokens", .array(elementType: .string, values: (0 ..< vocabulary).map { .string("t\($0)") })),
        ]
        if design.slidingWindows != nil { w.metadata.append(("\(a).attention.sliding_window", .uint32(UInt32(window)))) }
        func tensor(_ name: String, _ shape: [Int], scale: Float = 0.5) -> GGUFWriter.Tensor {
            let values = (0 ..< shape.reduce(1, *)).map { _ in (random.nextFloat() * 2 - 1) * scale }
            return .init(name: name, type: .f32, shape: shape, data: values.f32Bytes)
        }
        let d = embedding, q = heads * headDimension, kv = kvHeads * headDimension
        w.tensors = [tensor("token_embd.weight", [d, vocabulary], scale: 1)]
        if design.inputNorm != .layerNorm { w.tensors.append(tensor("output_norm.weight", [d])) }
        if design.output == .separate || (separateOutput && design.output != .embedding) {
            w.tensors.append(tensor("output.weight", [d, vocabulary]))
        }
        for l in 0 ..< layers {
            let p = "blk.\(l)."
            if design.inputNorm == .rms { w.tensors += [tensor(p + "attn_norm.weight", [d]), tensor(p + "ffn_norm.weight", [d])] }
            w.tensors += [
                tensor(p + "attn_q.weight", [d, q]), tensor(p + "attn_k.weight", [d, kv]), tensor(p + "attn_v.weight", [d, kv]),
                tensor(p + "attn_output.weight", [q, d]), tensor(p + "ffn_down.weight", [feedForward, d]),
            ]
            w.tensors += design.fusedGateUp
                ? [tensor(p + "ffn_up.weight", [d, 2 * feedForward])]
                : [tensor(p + "ffn_gate.weight", [d, feedForward]), tensor(p + "ffn_up.weight", [d, feedForward])]
            switch design.queryKeyNorm {
            case .none: break
            case .perHead: w.tensors += [tensor(p + "attn_q_norm.weight", [headDimension]), tensor(p + "attn_k_norm.weight", [headDimension])]
            case .wholeWidth: w.tensors += [tensor(p + "attn_q_norm.weight", [q]), tensor(p + "attn_k_norm.weight", [kv])]
            }
            if design.normalizesSublayerOutputs {
                w.tensors += [tensor(p + "post_attention_norm.weight", [d]), tensor(p + "post_ffw_norm.weight", [d])]
            }
        }
        return w
    }

    func load(seed: UInt64 = 1) throws -> Transformer {
        try Transformer(path: writer(seed: seed).write())
    }
}

/// A small deterministic generator, so synthetic weights are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
