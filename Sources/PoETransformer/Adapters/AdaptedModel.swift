import PoE

/// An adapter and the scale a user gives it (llama.cpp's `--lora FILE` is scale 1, `--lora-scaled FILE S`).
public struct ScaledAdapter: Sendable {
    /// The adapter.
    public let adapter: LoRAAdapter
    /// What its product is multiplied by (1: as trained).
    public let scale: Float

    /// An adapter with a scale.
    public init(_ adapter: LoRAAdapter, scale: Float = 1) {
        self.adapter = adapter
        self.scale = scale
    }
}

/// The adapters of one view of a model, by the product they act on, each with its scale and alpha / rank
/// folded into one factor. A class, so that a batched pass can tell sessions that share it by identity.
final class AdapterTable: Sendable {
    let pairs: [AdapterSlot: [(pair: LoRAPair, scale: Float)]]
    /// The ranks of every slot's adapters added up, the largest over slots: a product's terms need that
    /// many floats of scratch per row.
    let totalRank: Int

    static let none = AdapterTable([])

    init(_ adapters: [ScaledAdapter]) {
        var pairs: [AdapterSlot: [(pair: LoRAPair, scale: Float)]] = [:]
        // A scale of 0 adds nothing; llama.cpp leaves such adapters out, and so do we.
        for scaled in adapters where scaled.scale != 0 {
            for (slot, pair) in scaled.adapter.pairs { pairs[slot, default: []].append((pair, scaled.scale * pair.factor)) }
        }
        self.pairs = pairs
        totalRank = pairs.values.map { $0.reduce(0) { $0 + $1.pair.rank } }.max() ?? 0
    }

    var isEmpty: Bool { pairs.isEmpty }
}

extension Transformer {
    /// This model with `adapters` applied: a view that shares this model's file, weights and tokenizer
    /// (nothing is copied or mapped again), whose sessions add the adapters to every product they adapt.
    /// Sessions of the base model and of any of its adapted views can be stepped together in one batched
    /// decode, each with its own adapters. The adapters replace any this model already has.
    public func adapted(by adapters: [ScaledAdapter]) throws(AdapterError) -> Transformer {
        for scaled in adapters {
            guard scaled.scale.isFinite else {
                throw AdapterError(path: scaled.adapter.path, problem: .invalidScale(scaled.scale))
            }
            for (slot, pair) in scaled.adapter.pairs {
                guard let matrix = matrix(at: slot), pair.fits(matrix, slot: slot) else {
                    throw AdapterError(path: scaled.adapter.path, problem: .readForAnotherModel)
                }
            }
        }
        return Transformer(sharing: self, adapters: adapters)
    }

    /// The weight matrix an adapter tensor named after it acts on, and where.
    package func adaptableMatrix(named name: String) -> (AdapterSlot, WeightMatrix)? {
        let slot: AdapterSlot
        switch name {
        case "token_embd.weight": slot = .embedding
        case "output.weight":
            guard !weights.outputIsEmbedding else { return nil }
            slot = .output
        default:
            let parts = name.split(separator: ".")
            guard parts.count == 4, parts[0] == "blk", parts[3] == "weight", let layer = Int(parts[1]), weights.layers.indices.contains(layer),
                  let projection = AdapterSlot.Projection(tensorName: parts[2])
            else { return nil }
            slot = .layer(layer, projection)
        }
        return matrix(at: slot).map { (slot, $0) }
    }

    package func matrix(at slot: AdapterSlot) -> WeightMatrix? {
        switch slot {
        case .embedding: return weights.tokenEmbedding
        case .output: return weights.outputIsEmbedding ? nil : weights.output
        case let .layer(l, projection):
            guard weights.layers.indices.contains(l) else { return nil }
            let layer = weights.layers[l]
            switch projection {
            case .query: return layer.query
            case .key: return layer.key
            case .value: return layer.value
            case .attentionOutput: return layer.attentionOutput
            case .gate: return layer.gate
            case .up: return layer.up
            case .down: return layer.down
            }
        }
    }
}

extension AdapterSlot {
    /// The GGUF name of the weight matrix this slot adapts.
    package var tensorName: String {
        switch self {
        case .embedding: "token_embd.weight"
        case .output: "output.weight"
        case let .layer(l, projection): "blk.\(l).\(projection.tensorName).weight"
        }
    }
}

extension AdapterSlot.Projection {
    /// `attn_q`, as GGUF names the layer's matrix.
    package var tensorName: String {
        switch self {
        case .query: "attn_q"
        case .key: "attn_k"
        case .value: "attn_v"
        case .attentionOutput: "attn_output"
        case .gate: "ffn_gate"
        case .up: "ffn_up"
        case .down: "ffn_down"
        }
    }

    /// `attn_q` and the like, as GGUF names the layer's matrices.
    package init?(tensorName: Substring) {
        switch tensorName {
        case "attn_q": self = .query
        case "attn_k": self = .key
        case "attn_v": self = .value
        case "attn_output": self = .attentionOutput
        case "ffn_gate": self = .gate
        case "ffn_up": self = .up
        case "ffn_down": self = .down
        default: return nil
        }
    }
}

extension LoRAPair {
    /// Whether this pair's shapes fit `matrix` (for an adapter read against another instance of a model).
    func fits(_ matrix: WeightMatrix, slot: AdapterSlot) -> Bool {
        slot == .embedding ? (inputs, outputs) == (matrix.outputs, matrix.inputs) : (inputs, outputs) == (matrix.inputs, matrix.outputs)
    }
}
