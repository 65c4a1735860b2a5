import ArgumentParser
import Foundation
import PoEKernels
import PoEModels
import PoETransformer

/// The weight-product kernels on the models' own tensors: for each tensor type a model holds (its
/// largest tensor of that type), each implementation this CPU has, one thread, 1 and 16 activation
/// vectors, with float activations and, for the block formats, activations rounded to 8 bits (`q8`: the
/// rounding is timed with the product, once per call as the engine does it); then every other type the
/// kernels know, on random blocks (`synthetic`, 8,192 × 2,048). Reports weights read per second (GB/s)
/// and multiply-adds per second.
struct KernelBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Time the quantized matrix-vector kernels per type and implementation (one thread)."
    )

    @Option(help: "Models whose tensors to use.") var models = "gemma-3-270m,smollm2-135m-instruct"
    @Option(help: "Rows of each tensor to use (at most).") var rows = 32768
    @Option(help: "Timed runs (the median is reported).") var runs = 5
    @Flag(help: "Print JSON lines.") var json = false

    func run() throws {
        if !json { print("model | tensor (type) | rows x n | implementation | activations | vectors | ms | GB/s of weights | G multiply-adds/s") }
        var measured = Set<GGMLType>()
        for model in models.split(separator: ",").map(String.init) {
            let file = try GGUFFile(path: ModelStore().resolve(model).path)
            let largest = Dictionary(grouping: file.tensors.filter { $0.shape.count == 2 }, by: \.type)
                .compactMapValues { $0.max { $0.byteCount < $1.byteCount } }
            for (type, tensor) in largest.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                try time(model: model, tensor: tensor.name, type: type, weights: UnsafeRawPointer(file.bytes(of: tensor).baseAddress!),
                         rows: min(rows, tensor.rowCount), n: tensor.rowLength)
                measured.insert(type)
            }
        }
        for type in dequantizableTypes where !measured.contains(type) {
            let n = 2048, count = min(rows, 8192)
            let matrix = syntheticRows(type, rows: count, n: n)
            try matrix.withUnsafeBytes { try time(model: "synthetic", tensor: "random", type: type, weights: $0.baseAddress!, rows: count, n: n) }
        }
    }

    /// Times `rows` rows of `n` values at `weights` in every implementation, with 1 and 16 vectors.
    private func time(model: String, tensor: String, type: GGMLType, weights: UnsafeRawPointer, rows count: Int, n: Int) throws {
        let names = ["portable", "avx2", "avx512"]
        guard let rowBytes = type.byteCount(elements: n) else { return }
        for vectors in [1, 16] {
            let x = (0 ..< vectors * n).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
            var y = [Float](repeating: 0, count: vectors * count)
            var blocks = [poe_q8_block](repeating: poe_q8_block(), count: vectors * n / 32)
            for implementation in 0 ... poe_simd_level() {
                for activations in poe_supports_q8(Int32(type.rawValue)) == 1 ? ["f32", "q8"] : ["f32"] {
                    // The portable code is slow: time it on fewer rows.
                    let timedRows = implementation == 0 ? min(count, 2048) : count
                    let seconds = medianSeconds(runs: runs) {
                        if activations == "q8" {
                            poe_quantize_activations(x, n, Int32(vectors), Int32(n), &blocks)
                            _ = poe_matmul_q8_using(
                                implementation, Int32(type.rawValue), weights, rowBytes, 0, Int32(timedRows), Int32(n),
                                blocks, Int32(vectors), &y, count)
                        } else {
                            _ = poe_matmul_using(
                                implementation, Int32(type.rawValue), weights, rowBytes, 0, Int32(timedRows), Int32(n),
                                x, n, Int32(vectors), &y, count)
                        }
                    }
                    let bytes = Double(timedRows * rowBytes), macs = Double(timedRows * n * vectors)
                    let line = KernelTiming(
                        model: model, tensor: tensor, type: type.description, rows: timedRows, n: n,
                        implementation: names[Int(implementation)], activations: activations, vectors: vectors,
                        milliseconds: seconds * 1000, gigabytesPerSecond: bytes / seconds / 1e9,
                        gigaMultiplyAddsPerSecond: macs / seconds / 1e9)
                    if json {
                        try printJSONLine(line)
                    } else {
                        print(String(
                            format: "%@ | %@ (%@) | %d x %d | %@ | %@ | %d | %.2f | %.1f | %.1f", model, tensor, type.description,
                            timedRows, n, names[Int(implementation)], activations, vectors, seconds * 1000, line.gigabytesPerSecond,
                            line.gigaMultiplyAddsPerSecond))
                    }
                }
            }
        }
    }
}

/// `rows` random rows of `n` values of `type`, with every half-precision scale (and minimum) a modest
/// finite value, so that no product meets NaN, infinity or subnormal numbers.
private func syntheticRows(_ type: GGMLType, rows: Int, n: Int) -> [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 33
    }
    func value() -> Float { Float(next() % 2000) / 1000 - 1 }
    switch type {
    case .f32: return (0 ..< rows * n).flatMap { _ in withUnsafeBytes(of: value().bitPattern.littleEndian, Array.init) }
    case .f16: return (0 ..< rows * n).flatMap { _ in withUnsafeBytes(of: Float16(value()).bitPattern.littleEndian, Array.init) }
    case .bf16: return (0 ..< rows * n).flatMap { _ in withUnsafeBytes(of: UInt16(value().bitPattern >> 16).littleEndian, Array.init) }
    default:
        let (elements, blockBytes) = type.layout
        let scale = withUnsafeBytes(of: Float16(0.01).bitPattern.littleEndian, Array.init)
        var bytes = (0 ..< rows * n / elements * blockBytes).map { _ in UInt8(truncatingIfNeeded: next()) }
        for block in stride(from: 0, to: bytes.count, by: blockBytes) {
            for offset in type.halfPrecisionFields { bytes[block + offset] = scale[0]; bytes[block + offset + 1] = scale[1] }
        }
        return bytes
    }
}

private struct KernelTiming: Encodable {
    let model: String
    let tensor: String
    let type: String
    let rows: Int
    let n: Int
    let implementation: String
    let activations: String
    let vectors: Int
    let milliseconds: Double
    let gigabytesPerSecond: Double
    let gigaMultiplyAddsPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case model, tensor, type, rows, n, implementation, activations, vectors, milliseconds
        case gigabytesPerSecond = "gb_per_s", gigaMultiplyAddsPerSecond = "g_multiply_adds_per_s"
    }
}
