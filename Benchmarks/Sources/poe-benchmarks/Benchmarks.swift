import ArgumentParser
import Foundation
import PoETransformer

@main
enum BenchmarksMain {
    static func main() {
        OpenBLAS.restartWithFastestKernels()
        Benchmarks.main()
    }
}

struct Benchmarks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poe-benchmarks",
        abstract: "swift-poe's speed benchmarks. Timings are medians over repeated runs, in seconds.",
        subcommands: [TokenizeBenchmark.self, ExpertOverheadBenchmark.self, KernelBenchmark.self, AttentionBenchmark.self, StreamingBenchmark.self, SamplingBenchmark.self]
    )
}

/// Runs `body` `runs` times and returns the median wall-clock time in seconds.
func medianSeconds(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    let times = try (0 ..< runs).map { _ in try ContinuousClock().measure(body).seconds }.sorted()
    return times[times.count / 2]
}

/// Prints `value` as one line of JSON.
func printJSONLine(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
