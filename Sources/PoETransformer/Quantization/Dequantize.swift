import PoEKernels

/// A tensor type swift-poe cannot read.
public struct UnsupportedTensorType: Error, Equatable, CustomStringConvertible {
    /// The tensor's name.
    public let tensor: String
    /// Its type.
    public let type: GGMLType

    /// The type of `tensor` is not one swift-poe reads.
    public init(tensor: String, type: GGMLType) {
        self.tensor = tensor
        self.type = type
    }

    public var description: String {
        let supported = dequantizableTypes.map(\.description).joined(separator: ", ")
        return "tensor '\(tensor)' has type \(type), which swift-poe cannot read (supported: \(supported))"
    }
}

/// Every type the kernels read (module PoEKernels, whose `blocks.h` spells out each block layout).
public let dequantizableTypes: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

extension GGMLType {
    /// Whether swift-poe can read values of this type.
    public var isDequantizable: Bool { dequantizableTypes.contains(self) }
}

/// Decodes `count` values of `type` (a whole number of blocks) from `source` into `values`.
///
/// - Throws: `UnsupportedTensorType` (naming `tensor`) for a type outside `dequantizableTypes`.
public func dequantize(
    _ type: GGMLType, from source: UnsafeRawPointer, count: Int,
    into values: UnsafeMutablePointer<Float>, tensor: String = "?"
) throws(UnsupportedTensorType) {
    guard type.isDequantizable, poe_dequantize(Int32(type.rawValue), source, count, values) == 0 else {
        throw UnsupportedTensorType(tensor: tensor, type: type)
    }
}
