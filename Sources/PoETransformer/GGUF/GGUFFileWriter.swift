import Foundation

/// Writes a GGUF file (version 3): metadata and float32 tensors, the data aligned as the format asks.
/// Enough for the files swift-poe makes itself, such as the LoRA adapters `poe train` writes.
package struct GGUFFileWriter {
    /// A metadata value this writer knows how to store.
    package enum Value {
        case string(String)
        case uint32(UInt32)
        case float32(Float)
        case bool(Bool)
        case strings([String])
        case floats([Float])
        case int32s([Int32])
    }

    package struct Tensor {
        package var name: String
        /// ggml's order: the row length first.
        package var shape: [Int]
        package var values: [Float]

        package init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    package var metadata: [(key: String, value: Value)] = []
    package var tensors: [Tensor] = []
    package let alignment = 32

    package init() {}

    /// The file's bytes.
    package func bytes() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        append(UInt32(3), to: &out)
        append(UInt64(tensors.count), to: &out)
        append(UInt64(metadata.count), to: &out)
        for (key, value) in metadata {
            append(string: key, to: &out)
            switch value {
            case let .string(text):
                append(UInt32(8), to: &out)
                append(string: text, to: &out)
            case let .uint32(number):
                append(UInt32(4), to: &out)
                append(number, to: &out)
            case let .float32(number):
                append(UInt32(6), to: &out)
                append(number.bitPattern, to: &out)
            case let .bool(flag):
                append(UInt32(7), to: &out)
                out.append(flag ? 1 : 0)
            case let .strings(texts):
                append(UInt32(9), to: &out)
                append(UInt32(8), to: &out)
                append(UInt64(texts.count), to: &out)
                for text in texts { append(string: text, to: &out) }
            case let .floats(numbers):
                append(UInt32(9), to: &out)
                append(UInt32(6), to: &out)
                append(UInt64(numbers.count), to: &out)
                for number in numbers { append(number.bitPattern, to: &out) }
            case let .int32s(numbers):
                append(UInt32(9), to: &out)
                append(UInt32(5), to: &out)
                append(UInt64(numbers.count), to: &out)
                for number in numbers { append(number, to: &out) }
            }
        }
        var offset = 0
        for tensor in tensors {
            append(string: tensor.name, to: &out)
            append(UInt32(tensor.shape.count), to: &out)
            for dimension in tensor.shape { append(UInt64(dimension), to: &out) }
            append(UInt32(GGMLType.f32.rawValue), to: &out)
            append(UInt64(offset), to: &out)
            offset += padded(tensor.values.count * 4)
        }
        out += [UInt8](repeating: 0, count: padded(out.count) - out.count)
        for tensor in tensors {
            let start = out.count
            for value in tensor.values { append(value.bitPattern, to: &out) }
            out += [UInt8](repeating: 0, count: padded(out.count - start) - (out.count - start))
        }
        return out
    }

    /// Writes the file (atomically: a reader never sees half of it).
    package func write(to path: String) throws {
        try Data(bytes()).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    private func padded(_ count: Int) -> Int { (count + alignment - 1) / alignment * alignment }

    private func append<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    private func append(string: String, to out: inout [UInt8]) {
        append(UInt64(string.utf8.count), to: &out)
        out += string.utf8
    }
}
