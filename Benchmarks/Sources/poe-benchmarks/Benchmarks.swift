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
    var times: [Double] = []
    for _ in 0 ..< runs {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    return times.sorted()[times.count / 2]
}
