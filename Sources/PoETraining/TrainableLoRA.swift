import Foundation
import PoE
import PoETransformer

/// The projections a LoRA adapter can train, by the names `--targets` takes.
public enum LoRATarget: String, Sendable, CaseIterable, Codable {
    /// The attention's query, key, value and output projections.
    case q, k, v, o
    /// The feed-forward's gate, up and down projections.
    case gate, up, down

    var projection: AdapterSlot.Projection {
        switch self {
        case .q: .query
        case .k: .key
        case .v: .value
        case .o: .attentionOutput
        case .gate: .gate
        case .up: .up
        case .down: .down
        }
    }
}

/// One trainable pair for one weight matrix W (outputs, inputs): A (rank, inputs) and B (outputs, rank),
/// row-major (PEFT's layout and the GGUF adapter's), with their gradients.
struct TrainablePair {
    let slot: AdapterSlot
    let inputs: Int
    let outputs: Int
    var a: [Float]
    var b: [Float]
    var gradientA: [Float]
    var gradientB: [Float]
}

/// A LoRA adapter being trained: `y = W x + (alpha / rank) · B (A x)` on each target projection of every
/// layer. A starts as PEFT starts it (uniform in ±1/√inputs), B at zero, so the adapter starts as the base
/// model.
public final class TrainableLoRA {
    /// The adapter's rank r: A is (r, inputs) and B (outputs, r).
    public let rank: Int
    /// The scale numerator: the adapter's product is multiplied by `alpha / rank`.
    public let alpha: Float
    /// The projections adapted in every layer.
    public let targets: [LoRATarget]
    var pairs: [TrainablePair]
    /// Where each slot's pair is in `pairs`.
    let index: [AdapterSlot: Int]

    /// alpha / rank.
    var scale: Float { alpha / Float(rank) }

    /// A new adapter for `model`, A drawn from a generator seeded with `seed`, B zero.
    public init(model: Transformer, rank: Int, alpha: Float, targets: [LoRATarget], seed: UInt64) {
        self.rank = rank
        self.alpha = alpha
        self.targets = targets
        var random = SeededGenerator(seed: seed)
        var pairs: [TrainablePair] = []
        for layer in 0 ..< model.config.layerCount {
            for target in targets {
                let slot = AdapterSlot.layer(layer, target.projection)
                guard let matrix = model.matrix(at: slot) else { continue }
                let bound = 1 / Float(matrix.inputs).squareRoot()
                let a = (0 ..< rank * matrix.inputs).map { _ in Float(random.nextUnit() * 2 - 1) * bound }
                pairs.append(TrainablePair(
                    slot: slot, inputs: matrix.inputs, outputs: matrix.outputs, a: a,
                    b: [Float](repeating: 0, count: matrix.outputs * rank),
                    gradientA: [Float](repeating: 0, count: a.count), gradientB: [Float](repeating: 0, count: matrix.outputs * rank)))
            }
        }
        self.pairs = pairs
        index = Dictionary(uniqueKeysWithValues: pairs.enumerated().map { ($1.slot, $0) })
    }

    /// How many trainable values there are.
    public var parameterCount: Int { pairs.reduce(0) { $0 + $1.a.count + $1.b.count } }

    /// Every trainable value, A then B of each pair in order (for the optimizer and checkpoints).
    package var parameters: [Float] {
        get { pairs.flatMap { $0.a + $0.b } }
        set {
            var offset = 0
            for i in pairs.indices {
                pairs[i].a = Array(newValue[offset ..< offset + pairs[i].a.count])
                offset += pairs[i].a.count
                pairs[i].b = Array(newValue[offset ..< offset + pairs[i].b.count])
                offset += pairs[i].b.count
            }
        }
    }

    /// Each pair's (inputs, outputs), in the order of `parameters`.
    package var shapesInOrder: [(inputs: Int, outputs: Int)] { pairs.map { ($0.inputs, $0.outputs) } }

    /// The gradients, in the order of `parameters`.
    package var gradients: [Float] { pairs.flatMap { $0.gradientA + $0.gradientB } }

    package func zeroGradients() {
        for i in pairs.indices {
            pairs[i].gradientA.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            pairs[i].gradientB.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// The adapter in llama.cpp's format: `<base tensor>.lora_a` (ggml shape [inputs, rank]) and `.lora_b`
    /// ([rank, outputs]), F32, with `adapter.lora.alpha`.
    package func gguf(architecture: String, name: String) -> GGUFFileWriter {
        var writer = GGUFFileWriter()
        writer.metadata = [
            ("general.architecture", .string(architecture)), ("general.type", .string("adapter")),
            ("general.name", .string(name)), ("adapter.type", .string("lora")), ("adapter.lora.alpha", .float32(alpha)),
        ]
        for pair in pairs {
            writer.tensors.append(.init(name: pair.slot.tensorName + ".lora_a", shape: [pair.inputs, rank], values: pair.a))
            writer.tensors.append(.init(name: pair.slot.tensorName + ".lora_b", shape: [rank, pair.outputs], values: pair.b))
        }
        return writer
    }
}
