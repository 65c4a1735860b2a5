import ArgumentParser
import Foundation
import PoE
import PoEModels
import PoETransformer

/// Attention's share of a decode step: the step's time at growing context lengths. The weight products
/// cost the same at every length, so the growth is attention over the cached keys (Gemma's local layers
/// stop growing at their window).
struct AttentionBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attention",
        abstract: "Time a decode step at several context lengths: what attention over the cache costs."
    )

    @Option(help: "A GGUF file or a known model name.") var model = "gemma-3-270m"
    @Option(help: "Context lengths, comma-separated.") var lengths = "16,256,1024,4096"
    @Option(help: "Decode steps timed at each length (the median is reported).") var steps = 16
    @Option(help: "Threads (default: every core).") var threads: Int?
    @Option(name: .customLong("kv-cache"), help: "KV cache precision: f32 or f16.") var kvCache = "f32"

    func run() throws {
        if let threads { ComputeThreads.set(threads) }
        guard let precision = KVCachePrecision(rawValue: kvCache) else { throw ValidationError("--kv-cache takes f32 or f16") }
        let transformer = try Transformer(path: ModelStore().resolve(model).path, kvCache: precision)
        let ordinary = (0 ..< TokenID(transformer.vocabulary.count)).filter { transformer.vocabulary.attributes[Int($0)].contains(.normal) }
        var generator = SeededGenerator(seed: 1)
        print("\(model), \(ComputeThreads.count) threads, \(precision) KV cache")
        print("context | ms per decode step | over the shortest")
        var first: Double?
        for length in lengths.split(separator: ",").compactMap({ Int($0) }) {
            let session = try transformer.makeSession(capacity: length + steps + 1)
            let prompt = (0 ..< length).map { _ in ordinary[Int(generator.next() % UInt64(ordinary.count))] }
            var next = try session.append(prompt, logits: .last).argmax(row: 0)
            let median = try medianSeconds(runs: steps) { next = try session.append([next], logits: .last).argmax(row: 0) } * 1000
            first = first ?? median
            print(String(format: "%7d | %8.2f | %+.2f ms", length, median, median - (first ?? median)))
        }
    }
}
