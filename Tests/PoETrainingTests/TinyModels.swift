import Foundation
import PoE
import PoETransformer

/// Tiny random transformers written with the library's own GGUF writer: llama and gemma3 layouts, a
/// SentencePiece vocabulary of single characters, weights of realistic scale.
enum TinyModels {
    static func write(architecture a: String, layers: Int = 2, embedding d: Int = 16, heads: Int = 4, kvHeads: Int = 2,
                      headDimension hd: Int = 8, feedForward ffn: Int = 24, window: Int = 3, separateOutput: Bool = false, seed: UInt64 = 1) throws -> Transformer {
        var random = SeededGenerator(seed: seed)
        func values(_ count: Int, scale: Float) -> [Float] { (0 ..< count).map { _ in Float(random.nextUnit() * 2 - 1) * scale } }
        func norm(_ count: Int) -> [Float] { (0 ..< count).map { _ in Float(0.8 + random.nextUnit() * 0.4) } }
        let tokens = ["<unk>", "<s>", "</s>"] + (97 ... 122).map { String(UnicodeScalar(UInt8($0))) } + ["▁"]
        var w = GGUFFileWriter()
        w.metadata = [
            ("general.architecture", .string(a)), ("\(a).context_length", .uint32(64)), ("\(a).embedding_length", .uint32(UInt32(d))),
            ("\(a).block_count", .uint32(UInt32(layers))), ("\(a).feed_forward_length", .uint32(UInt32(ffn))),
            ("\(a).attention.head_count", .uint32(UInt32(heads))), ("\(a).attention.head_count_kv", .uint32(UInt32(kvHeads))),
            ("\(a).attention.key_length", .uint32(UInt32(hd))), ("\(a).attention.value_length", .uint32(UInt32(hd))),
            ("\(a).attention.layer_norm_rms_epsilon", .float32(1e-6)), ("\(a).rope.freq_base", .float32(10_000)),
            ("tokenizer.ggml.model", .string("llama")), ("tokenizer.ggml.tokens", .strings(tokens)),
            ("tokenizer.ggml.bos_token_id", .uint32(1)), ("tokenizer.ggml.eos_token_id", .uint32(2)),
        ]
        if a == "gemma3" { w.metadata.append(("\(a).attention.sliding_window", .uint32(UInt32(window)))) }
        let v = tokens.count, q = heads * hd, kv = kvHeads * hd
        func tensor(_ name: String, _ shape: [Int], _ data: [Float]) { w.tensors.append(.init(name: name, shape: shape, values: data)) }
        tensor("token_embd.weight", [d, v], values(d * v, scale: 1))
        tensor("output_norm.weight", [d], norm(d))
        if separateOutput { tensor("output.weight", [d, v], values(d * v, scale: 0.5)) }
        for l in 0 ..< layers {
            let p = "blk.\(l)."
            tensor(p + "attn_norm.weight", [d], norm(d))
            tensor(p + "attn_q.weight", [d, q], values(d * q, scale: 0.5))
            tensor(p + "attn_k.weight", [d, kv], values(d * kv, scale: 0.5))
            tensor(p + "attn_v.weight", [d, kv], values(d * kv, scale: 0.5))
            tensor(p + "attn_output.weight", [q, d], values(q * d, scale: 0.5))
            tensor(p + "ffn_norm.weight", [d], norm(d))
            tensor(p + "ffn_gate.weight", [d, ffn], values(d * ffn, scale: 0.5))
            tensor(p + "ffn_up.weight", [d, ffn], values(d * ffn, scale: 0.5))
            tensor(p + "ffn_down.weight", [ffn, d], values(ffn * d, scale: 0.5))
            if a == "gemma3" {
                tensor(p + "attn_q_norm.weight", [hd], norm(hd))
                tensor(p + "attn_k_norm.weight", [hd], norm(hd))
                tensor(p + "post_attention_norm.weight", [d], norm(d))
                tensor(p + "post_ffw_norm.weight", [d], norm(d))
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("poe-tiny-\(UUID().uuidString).gguf").path
        try w.write(to: path)
        return try Transformer(path: path)
    }
}
