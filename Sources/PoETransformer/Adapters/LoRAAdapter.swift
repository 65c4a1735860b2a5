import PoE
import PoEKernels

/// A LoRA adapter in llama.cpp's GGUF format (`general.type` "adapter", `adapter.type` "lora",
/// `adapter.lora.alpha`, and a pair of tensors `<base tensor>.lora_a` / `.lora_b` per adapted matrix),
/// read and checked against one base model.
///
/// Each adapted product becomes `y = W x + scale · (alpha / r) · B (A x)`, as in llama.cpp (with
/// `alpha` 0 or absent, the factor is 1). A and B are small (rank · (inputs + outputs) floats), so they
/// are dequantized to float32 once, here; the base weights stay mapped and shared.
public final class LoRAAdapter: Sendable {
    /// The adapter file's path.
    public let path: String
    /// `adapter.lora.alpha`, 0 when the file has none.
    public let alpha: Float
    /// The adapted base tensors, in file order.
    public let targets: [String]
    let pairs: [AdapterSlot: LoRAPair]

    /// The largest rank among the pairs.
    public var rank: Int { pairs.values.map(\.rank).max() ?? 0 }

    /// Reads the adapter at `path` and checks that it fits `model`: the same architecture, every target a
    /// weight matrix of the model, every pair of the matrix's shape.
    public convenience init(path: String, for model: Transformer) throws(AdapterError) {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw AdapterError(path: path, problem: .file(error))
        }
        try self.init(file: file, for: model)
    }

    /// Reads the adapter in `file` and checks every pair against `model`'s matrices.
    public init(file: GGUFFile, for model: Transformer) throws(AdapterError) {
        path = file.path
        do throws(AdapterProblem) {
            let metadata = file.metadata
            let type = try? metadata.string("general.type")
            guard type == "adapter" else { throw .notAnAdapter(type.flatMap { $0 }) }
            let kind = try? metadata.string("adapter.type")
            guard kind == "lora" else { throw .notLoRA(kind.flatMap { $0 }) }
            let architecture = (try? metadata.string("general.architecture")).flatMap { $0 }
            guard architecture == model.config.architecture.rawValue else {
                throw .architectureMismatch(adapter: architecture, model: model.config.architecture.rawValue)
            }
            if metadata["adapter.lora.alpha"] != nil {
                guard case let .float32(value)? = metadata["adapter.lora.alpha"], value.isFinite else {
                    throw .invalidAlpha
                }
                alpha = value
            } else {
                alpha = 0
            }
            (targets, pairs) = try Self.readPairs(file, model: model, alpha: alpha)
        } catch {
            throw AdapterError(path: file.path, problem: error)
        }
    }

    /// Every `.lora_a` / `.lora_b` pair, matched to the model's matrices.
    private static func readPairs(_ file: GGUFFile, model: Transformer, alpha: Float) throws(AdapterProblem) -> ([String], [AdapterSlot: LoRAPair]) {
        var halves: [String: (a: GGUFTensorInfo?, b: GGUFTensorInfo?)] = [:]
        var order: [String] = []
        for tensor in file.tensors {
            let name = tensor.name
            // llama.cpp skips LoRA of norms; so do we.
            if name.hasSuffix("_norm.weight") { continue }
            let base: String, isA: Bool
            if name.hasSuffix(".lora_a") {
                (base, isA) = (String(name.dropLast(7)), true)
            } else if name.hasSuffix(".lora_b") {
                (base, isA) = (String(name.dropLast(7)), false)
            } else {
                throw .unexpectedTensor(name)
            }
            if halves[base] == nil { order.append(base) }
            if isA { halves[base, default: (nil, nil)].a = tensor } else { halves[base, default: (nil, nil)].b = tensor }
        }
        var pairs: [AdapterSlot: LoRAPair] = [:]
        for base in order {
            guard let a = halves[base]?.a, let b = halves[base]?.b else { throw .missingHalf(base) }
            guard let (slot, matrix) = model.adaptableMatrix(named: base) else { throw .unknownTarget(base) }
            if slot == .embedding, model.weights.outputIsEmbedding {
                throw .tiedEmbedding
            }
            pairs[slot] = try LoRAPair(a: a, b: b, target: base, slot: slot, matrix: matrix, file: file, alpha: alpha)
        }
        guard !pairs.isEmpty else { throw .noPairs }
        return (order, pairs)
    }
}

/// Where an adapter acts: one of the model's weight products, or its embedding lookup.
package enum AdapterSlot: Hashable, Sendable {
    case embedding
    case output
    case layer(Int, Projection)

    package enum Projection: Hashable, Sendable, CaseIterable {
        case query, key, value, attentionOutput, gate, up, down
    }
}

/// One adapted matrix, kept as `down` (inputs, rank) and `up` (rank, outputs), row-major (A and B
/// transposed, so that both of LoRA's products run along contiguous rows), and alpha / rank.
///
/// For the embedding the roles follow llama.cpp: A holds one rank-vector per token, (vocabulary, rank), which
/// is `down` as stored, and B maps it to the embedding.
struct LoRAPair: Sendable {
    let rank: Int
    let inputs: Int
    let outputs: Int
    let down: AdapterValues
    let up: AdapterValues
    /// alpha / rank, or 1 when alpha is 0 (llama.cpp's `get_scale`).
    let factor: Float

    init(a: GGUFTensorInfo, b: GGUFTensorInfo, target: String, slot: AdapterSlot, matrix: WeightMatrix, file: GGUFFile, alpha: Float) throws(AdapterProblem) {
        guard a.shape.count == 2, b.shape.count == 2 else {
            throw .wrongShape(tensor: target, a: a.shape, b: b.shape, expected: "two dimensions each")
        }
        if slot == .embedding {
            // W ne = [d, vocabulary]; A ne = [r, vocabulary], B ne = [r, d].
            guard a.shape[1] == matrix.outputs, b.shape[1] == matrix.inputs, a.shape[0] == b.shape[0] else {
                throw .wrongShape(tensor: target, a: a.shape, b: b.shape, expected: "A [r, \(matrix.outputs)] and B [r, \(matrix.inputs)]")
            }
            (rank, inputs, outputs) = (a.shape[0], matrix.outputs, matrix.inputs)
        } else {
            // W ne = [inputs, outputs]; A ne = [inputs, r], B ne = [r, outputs].
            guard a.shape[0] == matrix.inputs, b.shape[1] == matrix.outputs, a.shape[1] == b.shape[0] else {
                throw .wrongShape(tensor: target, a: a.shape, b: b.shape, expected: "A [\(matrix.inputs), r] and B [r, \(matrix.outputs)]")
            }
            (rank, inputs, outputs) = (a.shape[1], matrix.inputs, matrix.outputs)
        }
        guard rank > 0 else { throw .wrongShape(tensor: target, a: a.shape, b: b.shape, expected: "a rank of 1 or more") }
        // The embedding's pair is read a token's row at a time, in float32.
        let keepHalves = slot != .embedding
        // A as stored is (rank, inputs) rows, except the embedding's, which is (vocabulary, rank) already.
        down = try AdapterValues(a, file: file, keepHalves: keepHalves, transposing: slot == .embedding ? nil : (rank, inputs))
        // B as stored is (outputs, rank) rows.
        up = try AdapterValues(b, file: file, keepHalves: keepHalves, transposing: (outputs, rank))
        factor = alpha == 0 ? 1 : alpha / Float(rank)
    }
}

/// An adapter matrix in memory: float32 for prompts (OpenBLAS), and, where the file stores F16, the halves
/// too, which decode steps read (exact, and half the bytes a step streams, as llama.cpp keeps them).
struct AdapterValues: Sendable {
    let floats: [Float]
    let halves: [UInt16]?

    init(_ tensor: GGUFTensorInfo, file: GGUFFile, keepHalves: Bool, transposing shape: (rows: Int, columns: Int)?) throws(AdapterProblem) {
        guard tensor.type.isDequantizable, tensor.type.byteCount(elements: tensor.elementCount) != nil else {
            throw .unsupportedType(tensor: tensor.name, type: tensor.type)
        }
        let bytes = file.bytes(of: tensor)
        let values = [Float](unsafeUninitializedCapacity: tensor.elementCount) { buffer, initialized in
            try? dequantize(tensor.type, from: bytes.baseAddress!, count: tensor.elementCount, into: buffer.baseAddress!, tensor: tensor.name)
            initialized = tensor.elementCount
        }
        floats = shape.map { Self.transposed(values, rows: $0.rows, columns: $0.columns) } ?? values
        if tensor.type == .f16, keepHalves {
            let halves = (0 ..< tensor.elementCount).map { bytes.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) }
            self.halves = shape.map { Self.transposed(halves, rows: $0.rows, columns: $0.columns) } ?? halves
        } else {
            halves = nil
        }
    }

    /// The values a decode step reads, and their type number for the kernels (POE_F16 or POE_F32).
    func withKernelValues<R>(_ body: (UnsafeRawPointer, Int32) -> R) -> R {
        if let halves { return halves.withUnsafeBytes { body($0.baseAddress!, Int32(POE_F16)) } }
        return floats.withUnsafeBytes { body($0.baseAddress!, Int32(POE_F32)) }
    }

    private static func transposed<T>(_ values: [T], rows: Int, columns: Int) -> [T] {
        var out = values
        for r in 0 ..< rows {
            for c in 0 ..< columns { out[c * rows + r] = values[r * columns + c] }
        }
        return out
    }
}

/// An adapter that cannot be used with a model, and why.
public typealias AdapterError = FileError<AdapterProblem>

/// What is wrong with a LoRA adapter file, or with an adapter for a model.
public enum AdapterProblem: Error, Equatable, CustomStringConvertible {
    /// The file is not a valid GGUF file.
    case file(GGUFError)
    /// `general.type` is not `adapter` (its value, if any).
    case notAnAdapter(String?)
    /// `adapter.type` is not `lora` (its value, if any).
    case notLoRA(String?)
    /// The adapter was made for another architecture.
    case architectureMismatch(adapter: String?, model: String)
    /// `adapter.lora.alpha` is not a finite 32-bit float.
    case invalidAlpha
    /// A tensor that is neither a `.lora_a` nor a `.lora_b` tensor.
    case unexpectedTensor(String)
    /// A weight with only one of its two LoRA tensors.
    case missingHalf(String)
    /// A LoRA pair for a matrix the model does not have.
    case unknownTarget(String)
    /// An adapter of the token embedding, which this model also uses as its output matrix.
    case tiedEmbedding
    /// A pair whose shapes do not fit the matrix it adapts.
    case wrongShape(tensor: String, a: [Int], b: [Int], expected: String)
    /// A tensor of a type swift-poe cannot read.
    case unsupportedType(tensor: String, type: GGMLType)
    /// The file holds no LoRA tensors.
    case noPairs
    /// A scale that is not a finite number.
    case invalidScale(Float)
    /// The adapter was read for a model whose matrices have other shapes.
    case readForAnotherModel

    public var description: String {
        switch self {
        case let .file(error): "\(error.problem)"
        case let .notAnAdapter(type): "not an adapter: 'general.type' is \(type.map { "'\($0)'" } ?? "missing"), not 'adapter'"
        case let .notLoRA(type): "not a LoRA adapter: 'adapter.type' is \(type.map { "'\($0)'" } ?? "missing"), not 'lora'"
        case let .architectureMismatch(adapter, model):
            "the adapter is for architecture \(adapter.map { "'\($0)'" } ?? "(none given)"), the model is '\(model)'"
        case .invalidAlpha: "'adapter.lora.alpha' must be a finite float32"
        case let .unexpectedTensor(name): "tensor '\(name)' is neither a .lora_a nor a .lora_b tensor"
        case let .missingHalf(name): "'\(name)' has only one of its .lora_a and .lora_b tensors"
        case let .unknownTarget(name): "'\(name)' is not a weight matrix of the model (is the adapter for another model?)"
        case .tiedEmbedding:
            "the adapter changes 'token_embd.weight', which this model also uses as its output matrix; that is not supported (llama.cpp would apply it to the output product with the wrong shapes)"
        case let .wrongShape(tensor, a, b, expected):
            "'\(tensor)' has .lora_a \(a) and .lora_b \(b), expected \(expected) (is the adapter for another model?)"
        case let .unsupportedType(tensor, type): "tensor '\(tensor)' has type \(type), which swift-poe cannot read"
        case .noPairs: "the file holds no LoRA tensors"
        case let .invalidScale(scale): "the adapter's scale is \(scale); it must be a finite number"
        case .readForAnotherModel: "the adapter was read for a model whose matrices have other shapes"
        }
    }
}
