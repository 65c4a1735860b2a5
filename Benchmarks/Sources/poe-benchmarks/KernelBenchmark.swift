import ArgumentParser
import Foundation
import PoEKernels
import PoETransformer

/// The weight-product kernels on the models' own tensors: for each tensor type a model holds (its
/// largest tensor of that type), each implementation this CPU has, one thread, 1 and 16 activation
/// vectors. Reports weights read per second (GB/s) and multiply-adds per second.
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
        let names = ["portable", "avx2", "avx512"]
        if !json { print("model | tensor (type) | rows x n | implementation | vectors | ms | GB/s of weights | G multiply-adds/s") }
        for model in models.split(separator: ",").map(String.init) {
            let file = try GGUFFile(path: ModelStore().resolve(model).path)
            let largest = Dictionary(grouping: file.tensors.filter { $0.shape.count == 2 }, by: \.type)
                .compactMapValues { $0.max { $0.byteCount < $1.byteCount } }
            for (type, tensor) in largest.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                let count = min(rows, tensor.rowCount), n = tensor.rowLength
                guard let rowBytes = type.byteCount(elements: n) else { continue }
                let weights = file.bytes(of: tensor)
                for vectors in [1, 16] {
                    let x = (0 ..< vectors * n).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
                    var y = [Float](repeating: 0, count: vectors * count)
                    for implementation in 0 ... poe_simd_level() {
                        // The portable code is slow: time it on fewer rows.
                        let timedRows = implementation == 0 ? min(count, 2048) : count
                        let seconds = medianSeconds(runs: runs) {
                            _ = poe_matmul_using(
                                implementation, Int32(type.rawValue), weights.baseAddress, rowBytes, 0, Int32(timedRows), Int32(n),
                                x, n, Int32(vectors), &y, count)
                        }
                        let bytes = Double(timedRows * rowBytes), macs = Double(timedRows * n * vectors)
                        let line = KernelTiming(
                            model: model, tensor: tensor.name, type: type.description, rows: timedRows, n: n,
                            implementation: names[Int(implementation)], vectors: vectors, milliseconds: seconds * 1000,
                            gigabytesPerSecond: bytes / seconds / 1e9, gigaMultiplyAddsPerSecond: macs / seconds / 1e9)
                        if json {
                            print(String(decoding: try JSONEncoder().encode(line), as: UTF8.self))
                        } else {
                            print(String(
                                format: "%@ | %@ (%@) | %d x %d | %@ | %d | %.2f | %.1f | %.1f", model, tensor.name, type.description,
                                timedRows, n, names[Int(implementation)], vectors, seconds * 1000, line.gigabytesPerSecond,
                                line.gigaMultiplyAddsPerSecond))
                        }
                    }
                }
            }
        }
    }
}

private struct KernelTiming: Encodable {
    let model: String
    let tensor: String
    let type: String
    let rows: Int
    let n: Int
    let implementation: String
    let vectors: Int
    let milliseconds: Double
    let gigabytesPerSecond: Double
    let gigaMultiplyAddsPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case model, tensor, type, rows, n, implementation, vectors, milliseconds
        case gigabytesPerSecond = "gb_per_s", gigaMultiplyAddsPerSecond = "g_multiply_adds_per_s"
    }
}
