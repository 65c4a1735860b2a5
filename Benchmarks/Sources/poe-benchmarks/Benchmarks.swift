import ArgumentParser
import Foundation

@main
struct Benchmarks: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poe-benchmarks",
        abstract: "swift-poe's speed benchmarks. Timings are medians over repeated runs, in seconds.",
        subcommands: [TokenizeBenchmark.self, ExpertOverheadBenchmark.self, KernelBenchmark.self, AttentionBenchmark.self]
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
