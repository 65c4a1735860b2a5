import Foundation
import PoETransformer

/// Writes GGUF files for tests: well-formed ones, and, through the overrides, every kind of broken one.
struct GGUFWriter {
    struct Tensor {
        var name: String
        var type: GGMLType
        var shape: [Int]
        var data: [UInt8]
        /// Written instead of `type.rawValue`.
        var rawType: UInt32? = nil
        /// Written instead of the computed offset.
        var offset: UInt64? = nil
    }

    var magic: [UInt8] = Array("GGUF".utf8)
    var version: UInt32 = 3
    var metadata: [(key: String, value: GGUFValue)] = []
    /// Raw (key, type, value bytes) entries appended after `metadata`, for malformed values.
    var rawMetadata: [(key: String, type: UInt32, bytes: [UInt8])] = []
    var tensors: [Tensor] = []
    var alignment = 32

    /// The file: header, padding to the alignment, then each tensor's data at its (aligned) offset.
    func bytes() -> [UInt8] {
        var offsets: [Int] = []
        var dataSize = 0
        for tensor in tensors {
            offsets.append(dataSize)
            dataSize += (tensor.data.count + alignment - 1) / alignment * alignment
        }
        var out: [UInt8] = magic
        out.append(le: version)
        out.append(le: UInt64(tensors.count))
        out.append(le: UInt64(metadata.count + rawMetadata.count))
        for (key, value) in metadata {
            out.append(string: key)
            out.append(le: value.type.rawValue)
            out.append(value: value)
        }
        for (key, type, bytes) in rawMetadata {
            out.append(string: key)
            out.append(le: type)
            out += bytes
        }
        for (tensor, offset) in zip(tensors, offsets) {
            out.append(string: tensor.name)
            out.append(le: UInt32(tensor.shape.count))
            for d in tensor.shape { out.append(le: UInt64(d)) }
            out.append(le: tensor.rawType ?? tensor.type.rawValue)
            out.append(le: tensor.offset ?? UInt64(offset))
        }
        guard !tensors.isEmpty else { return out }
        out.padTo(multipleOf: alignment)
        let start = out.count
        for (tensor, offset) in zip(tensors, offsets) {
            out += [UInt8](repeating: 0, count: start + offset - out.count)
            out += tensor.data
        }
        out.padTo(multipleOf: alignment)
        return out
    }

    /// Writes the file to a fresh temporary path and returns the path.
    func write(_ bytes: [UInt8]? = nil) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("poe-test-\(UUID().uuidString).gguf")
        try Data(bytes ?? self.bytes()).write(to: url)
        return url.path
    }
}

extension [UInt8] {
    mutating func append<T: FixedWidthInteger>(le value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func padTo(multipleOf alignment: Int) {
        while count % alignment != 0 { append(0) }
    }

    mutating func append(string: String) {
        append(le: UInt64(string.utf8.count))
        append(contentsOf: string.utf8)
    }

    mutating func append(value: GGUFValue) {
        switch value {
        case let .uint8(v): append(le: v)
        case let .int8(v): append(le: v)
        case let .uint16(v): append(le: v)
        case let .int16(v): append(le: v)
        case let .uint32(v): append(le: v)
        case let .int32(v): append(le: v)
        case let .uint64(v): append(le: v)
        case let .int64(v): append(le: v)
        case let .float32(v): append(le: v.bitPattern)
        case let .float64(v): append(le: v.bitPattern)
        case let .bool(v): append(v ? 1 : 0)
        case let .string(v): append(string: v)
        case let .array(elementType, values):
            append(le: elementType.rawValue)
            append(le: UInt64(values.count))
            for element in values { append(value: element) }
        }
    }
}

extension [Float] {
    /// Little-endian F32 bytes.
    var f32Bytes: [UInt8] {
        var out: [UInt8] = []
        for v in self { out.append(le: v.bitPattern) }
        return out
    }
}
