import ArgumentParser
import Foundation
import PoE
import PoEKernels
import PoETransformer

/// Prompt processing and generation speed, in the manner of llama-bench.
struct SpeedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speed",
        abstract: "Measure prompt processing and generation speed (tokens per second).",
        discussion: """
            Prompt: a batch of random tokens from an empty context. Generation: from a context holding BOS, one \
            token per step, each the greedy choice of the last step; with --batch B, B sequences stepped \
            together, reporting their combined rate. Medians over --repetitions runs, each on the same \
            sessions emptied (as llama-bench reuses its context), after one untimed warm-up run of each \
            (as llama-bench does; --no-warmup skips it).
            """
    )

    @OptionGroup var model: ModelOption
    @Option(name: .customLong("prompt-tokens"), parsing: .unconditional) var promptTokens = 512
    @Option(name: .customLong("gen-tokens"), parsing: .unconditional) var genTokens = 128
    @Option(parsing: .unconditional, help: "Sequences generated together.") var batch = 1
    @Option(parsing: .unconditional, help: "Threads (default: every core).") var threads: Int?
    @Option(parsing: .unconditional, help: "Runs of each measurement; the median is reported.") var repetitions = 3
    @Flag(help: "Time the first run too (by default one untimed run first touches the weights and buffers).")
    var noWarmup = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard promptTokens >= 1, genTokens >= 1, batch >= 1, repetitions >= 1 else {
            throw ValidationError("--prompt-tokens, --gen-tokens, --batch and --repetitions must be at least 1")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        if let threads, ComputeThreads.set(threads) != threads {
            printError("--threads \(threads) is more than the \(ComputeThreads.cores) cores this process may use; using \(ComputeThreads.count)")
        }
        let transformer = try model.load()
        // Every session reaches the prompt's length, or BOS and the generated tokens: check the memory first.
        let positions = max(promptTokens, genTokens + 1)
        guard positions <= transformer.contextLength else {
            throw CommandError("--prompt-tokens and --gen-tokens must fit the model's context of \(transformer.contextLength) tokens")
        }
        do {
            try transformer.checkMemory(sessions: batch + 1, positions: positions)
        } catch {
            throw CommandError("--batch \(batch): \(error)")
        }
        var generator = SeededGenerator(seed: 1)
        let vocabulary = transformer.vocabulary
        let ordinary = (0 ..< TokenID(vocabulary.count)).filter { vocabulary.attributes[Int($0)].contains(.normal) }
        let prompt = (0 ..< promptTokens).map { _ in ordinary[Int(generator.next() % UInt64(ordinary.count))] }
        let start: TokenID = vocabulary.bos ?? ordinary[0]

        // As llama-bench does, the sessions (their buffers and caches) are made once and emptied between
        // runs, so that the runs time the model rather than first-touch allocation.
        let session = try transformer.makeSession()
        let promptSeconds = try median {
            try session.truncate(to: 0)
            return try seconds { _ = try session.append(prompt, logits: .last) }
        }
        let sessions = try (0 ..< batch).map { _ in try transformer.makeSession() }
        let generationSeconds = try median {
            for session in sessions { try session.truncate(to: 0) }
            var next = try sessions.map { try $0.append([start], logits: .last).argmax(row: 0) }
            return try seconds {
                for _ in 0 ..< genTokens {
                    if batch == 1 {
                        next = [try sessions[0].append(next, logits: .last).argmax(row: 0)]
                    } else {
                        let logits = try transformer.decode(sessions, tokens: next)
                        next = (0 ..< batch).map { logits.argmax(row: $0) }
                    }
                }
            }
        }
        let report = SpeedReport(
            model: model.model, promptTokens: promptTokens, genTokens: genTokens, batch: batch, threads: ComputeThreads.count,
            promptTokensPerSecond: Double(promptTokens) / promptSeconds,
            genTokensPerSecond: Double(genTokens * batch) / generationSeconds,
            peakResidentBytes: peakResidentBytes(), kernels: ["portable", "avx2", "avx512"][Int(poe_simd_level())],
            blasCore: OpenBLAS.coreName, activations: model.activations, kvCache: model.kvCache)
        if json {
            print(try jsonLine(report))
        } else {
            print("\(report.model): prompt \(promptTokens) tokens \(String(format: "%.1f", report.promptTokensPerSecond)) tok/s; "
                + "generation \(genTokens) tokens × \(batch) \(String(format: "%.1f", report.genTokensPerSecond)) tok/s; "
                + "\(report.threads) threads; peak memory \(report.peakResidentBytes / 1_048_576) MiB; kernels \(report.kernels), OpenBLAS \(report.blasCore); "
                + "activations \(report.activations.rawValue), KV cache \(report.kvCache.rawValue)")
        }
    }

    private func median(_ run: () throws -> Double) throws -> Double {
        if !noWarmup { _ = try run() }
        let times = try (0 ..< repetitions).map { _ in try run() }.sorted()
        return times[times.count / 2]
    }

    private func seconds(_ body: () throws -> Void) throws -> Double {
        try ContinuousClock().measure(body).seconds
    }
}

/// The process's peak resident memory (VmHWM), in bytes.
func peakResidentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    else { return 0 }
    return kilobytes * 1024
}

private struct SpeedReport: Encodable {
    let model: String
    let promptTokens: Int
    let genTokens: Int
    let batch: Int
    let threads: Int
    let promptTokensPerSecond: Double
    let genTokensPerSecond: Double
    let peakResidentBytes: Int
    let kernels: String
    let blasCore: String
    let activations: ActivationPrecision
    let kvCache: KVCachePrecision

    enum CodingKeys: String, CodingKey {
        case model, batch, threads, kernels, activations
        case kvCache = "kv_cache"
        case blasCore = "blas_core"
        case promptTokens = "prompt_tokens", genTokens = "gen_tokens"
        case promptTokensPerSecond = "prompt_tokens_per_s", genTokensPerSecond = "gen_tokens_per_s"
        case peakResidentBytes = "peak_resident_bytes"
    }
}
