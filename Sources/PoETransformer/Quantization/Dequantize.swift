/// A tensor type swift-poe cannot turn into numbers.
public struct UnsupportedTensorType: Error, Equatable, CustomStringConvertible {
    public let tensor: String
    public let type: GGMLType

    public init(tensor: String, type: GGMLType) {
        self.tensor = tensor
        self.type = type
    }

    public var description: String {
        let supported = dequantizableTypes.map(\.description).joined(separator: ", ")
        return "tensor '\(tensor)' has type \(type), which swift-poe cannot read (supported: \(supported))"
    }
}

/// Every type `dequantize` accepts.
public let dequantizableTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

extension GGMLType {
    public var isDequantizable: Bool { dequantizableTypes.contains(self) }
}

/// Decodes `count` values of `type` (a whole number of blocks) from `source` into `values`.
///
/// - Throws: `UnsupportedTensorType` (naming `tensor`) for a type outside `dequantizableTypes`.
public func dequantize(
    _ type: GGMLType, from source: UnsafeRawPointer, count: Int,
    into values: UnsafeMutablePointer<Float>, tensor: String = "?"
) throws(UnsupportedTensorType) {
    switch type {
    case .f32: dequantizeBlocks(F32Format.self, source, count, values)
    case .f16: dequantizeBlocks(F16Format.self, source, count, values)
    case .bf16: dequantizeBlocks(BF16Format.self, source, count, values)
    case .q4_0: dequantizeBlocks(Q4_0.self, source, count, values)
    case .q4_1: dequantizeBlocks(Q4_1.self, source, count, values)
    case .q5_0: dequantizeBlocks(Q5_0.self, source, count, values)
    case .q5_1: dequantizeBlocks(Q5_1.self, source, count, values)
    case .q8_0: dequantizeBlocks(Q8_0.self, source, count, values)
    case .q4_K: dequantizeBlocks(Q4K.self, source, count, values)
    case .q5_K: dequantizeBlocks(Q5K.self, source, count, values)
    case .q6_K: dequantizeBlocks(Q6K.self, source, count, values)
    default: throw UnsupportedTensorType(tensor: tensor, type: type)
    }
}

@inline(__always)
private func dequantizeBlocks<Format: BlockFormat>(
    _: Format.Type, _ source: UnsafeRawPointer, _ count: Int, _ values: UnsafeMutablePointer<Float>
) {
    let (blockElements, blockBytes) = Format.type.layout
    precondition(count % blockElements == 0, "dequantize takes whole blocks")
    for block in 0 ..< count / blockElements {
        Format.dequantize(block: source + block * blockBytes, into: values + block * blockElements)
    }
}
