import ArgumentParser
import Dispatch
import Foundation
import PoE
import PoEBench
import PoETraining
import PoETransformer

/// `poe train`: LoRA fine-tuning on the CPU, writing a llama.cpp-format adapter.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a LoRA adapter on a JSON-lines file and write it in llama.cpp's format.",
        discussion: """
            Formats: response ('output' after BOS; loss on it), instruction ('instruction' through the template, \
            then 'output'; loss on the output), text ('text'; loss on all of it). Each step takes sequences \
            until --batch-tokens tokens and averages the loss over their target tokens. Checkpoints go to \
            --checkpoints (default OUT.checkpoints) every --checkpoint-every steps and on Ctrl-C; --resume DIR \
            continues one exactly. See docs/tuning.md.
            """
    )

    @OptionGroup var model: ModelOption
    @Option(help: "JSON lines with the fields the format needs.") var data: String
    @Option(help: "response, instruction or text.") var format: String
    @Option(help: "Where the adapter goes (GGUF).") var out: String
    @Option(help: "Prompt template for --format instruction: \(PromptTemplate.all.map(\.name).joined(separator: ", ")).") var template = "tulu"
    @Option(parsing: .unconditional, help: "LoRA rank.") var rank = 8
    @Option(parsing: .unconditional, help: "LoRA alpha (default: twice the rank).") var alpha: Float?
    @Option(help: "Projections to adapt, comma-separated from q,k,v,o,gate,up,down.") var targets = "q,k,v,o,gate,up,down"
    @Option(parsing: .unconditional, help: "Optimizer steps (default: one epoch).") var steps: Int?
    @Option(parsing: .unconditional, help: "Epochs, instead of --steps.") var epochs: Int?
    @Option(name: .customLong("learning-rate"), parsing: .unconditional) var learningRate: Float = 2e-4
    @Option(name: .customLong("warmup-steps"), parsing: .unconditional) var warmupSteps = 0
    @Option(help: "Learning-rate schedule after warm-up: cosine, linear or constant.") var schedule = "cosine"
    @Option(name: .customLong("weight-decay"), parsing: .unconditional) var weightDecay: Float = 0
    @Option(parsing: .unconditional, help: "Gradient-norm limit (0: none).") var clip: Float = 1
    @Option(name: .customLong("batch-tokens"), parsing: .unconditional, help: "Tokens per step (sequences are accumulated).") var batchTokens = 2048
    @Option(name: .customLong("max-length"), parsing: .unconditional, help: "Longest sequence, in tokens.") var maxLength = 512
    @Option(name: .customLong("eval-fraction"), parsing: .unconditional, help: "Share of the examples held out.") var evalFraction = 0.05
    @Option(name: .customLong("eval-every"), parsing: .unconditional, help: "Steps between held-out evaluations.") var evalEvery = 20
    @Option(help: "A JSON line per step (step, loss, learning_rate, grad_norm, tokens, eval_loss).") var log: String?
    @Option(help: "Where checkpoints go (default: OUT.checkpoints).") var checkpoints: String?
    @Option(name: .customLong("checkpoint-every"), parsing: .unconditional) var checkpointEvery = 50
    @Option(help: "Continue the run whose checkpoints are in this directory.") var resume: String?
    @Option(parsing: .unconditional) var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Threads (default: every core).") var threads: Int?
    @Flag(
        name: .customLong("gradient-checkpointing"),
        help: "Recompute each layer's activations in the backward pass instead of keeping them: less memory, a third more time.")
    var gradientCheckpointing = false

    func validate() throws {
        guard TrainingFormat(rawValue: format) != nil else { throw ValidationError("--format must be response, instruction or text") }
        guard PromptTemplate.named(template) != nil else { throw ValidationError("unknown template '\(template)'") }
        guard LearningRateSchedule(rawValue: schedule) != nil else { throw ValidationError("--schedule must be cosine, linear or constant") }
        _ = try parsedTargets()
        guard rank >= 1, batchTokens >= 2, maxLength >= 2, evalEvery >= 1, checkpointEvery >= 1, warmupSteps >= 0 else {
            throw ValidationError("--rank, --eval-every and --checkpoint-every must be at least 1, --batch-tokens and --max-length at least 2")
        }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if steps != nil, epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        guard learningRate > 0, learningRate.isFinite, weightDecay >= 0, clip >= 0, (alpha ?? 1).isFinite else {
            throw ValidationError("--learning-rate must be above 0; --weight-decay and --clip 0 or more")
        }
        guard (0 ..< 1).contains(evalFraction) else { throw ValidationError("--eval-fraction must be at least 0 and below 1") }
    }

    func parsedTargets() throws -> [LoRATarget] {
        try targets.split(separator: ",").map { name in
            guard let target = LoRATarget(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--targets: '\(name)' is not one of q, k, v, o, gate, up, down")
            }
            return target
        }
    }

    func run() async throws {
        if let threads, ComputeThreads.set(threads) != threads {
            printError("--threads \(threads) is more than the \(ComputeThreads.cores) cores this process may use; using \(ComputeThreads.count)")
        }
        let transformer = try model.load()
        let format = TrainingFormat(rawValue: format) ?? .response
        let dataBytes: [UInt8]
        do { dataBytes = try FileContents.read(data) } catch { throw CommandError(error.description) }
        let (examples, skipped) = try TrainingData.read(
            path: data, format: format, tokenizer: transformer.tokenizer, template: PromptTemplate.named(template) ?? .tulu, maxLength: maxLength)
        let settings = TrainingSettings(
            model: model.model, data: data, dataFingerprint: TrainingSettings.fingerprint(dataBytes), format: format, template: template,
            rank: rank, alpha: alpha ?? Float(2 * rank), targets: try parsedTargets(), steps: steps, epochs: epochs, learningRate: learningRate,
            warmupSteps: warmupSteps, schedule: LearningRateSchedule(rawValue: schedule) ?? .cosine, weightDecay: weightDecay, clip: clip,
            batchTokens: batchTokens, maxLength: maxLength, evalFraction: evalFraction, evalEvery: evalEvery, seed: seed)
        let checkpointDirectory = resume ?? checkpoints ?? out + ".checkpoints"
        let logHandle = try log.map { path in
            if resume == nil || !FileManager.default.fileExists(atPath: path) {
                guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CommandError("cannot create the log \(path)") }
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw CommandError("cannot write the log \(path)") }
            try handle.seekToEnd()
            return handle
        }

        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let (out, checkpointEvery, evalEvery, resuming, maxLength) = (out, checkpointEvery, evalEvery, resume != nil, maxLength)
        // The trainer lives on this task alone; it says whether it finished, and after which step.
        let work = Task.detached { () throws -> (finished: Bool, step: Int) in
            let trainer = try Trainer(model: transformer, settings: settings, examples: examples, recomputingActivations: gradientCheckpointing)
            if resuming { try trainer.restoreCheckpoint(from: checkpointDirectory) }
            printError("training \(trainer.lora.parameterCount) parameters on \(trainer.trainingExamples.count) examples (\(trainer.evaluationExamples.count) held out"
                + (skipped > 0 ? ", \(skipped) skipped: nothing to learn within \(maxLength) tokens" : "") + "), \(trainer.totalSteps) steps"
                + (trainer.step > 0 ? ", resuming after step \(trainer.step)" : ""))
            let progress = ProgressLine()
            defer { progress.end() }
            let start = ContinuousClock.now
            let firstStep = trainer.step
            var tokens = 0
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            while trainer.step < trainer.totalSteps {
                if Task.isCancelled {
                    try trainer.saveCheckpoint(to: checkpointDirectory)
                    return (false, trainer.step)
                }
                var line = trainer.trainStep()
                tokens += line.tokens
                if line.step % evalEvery == 0 || line.step == trainer.totalSteps { line.evalLoss = trainer.evaluate() }
                try logHandle?.write(contentsOf: encoder.encode(line) + Data("\n".utf8))
                if line.step % checkpointEvery == 0 { try trainer.saveCheckpoint(to: checkpointDirectory) }
                let elapsed = (ContinuousClock.now - start).seconds
                progress.show(BenchProgress(
                    done: line.step, total: trainer.totalSteps, doneHere: line.step - firstStep, generatedTokens: tokens, elapsedSeconds: elapsed,
                    phase: String(format: "loss %.4f", line.loss) + (line.evalLoss.map { String(format: " · eval %.4f", $0) } ?? "")))
            }
            try trainer.saveCheckpoint(to: checkpointDirectory)
            try trainer.writeAdapter(to: out)
            return (true, trainer.step)
        }
        interrupt.setEventHandler { work.cancel() }
        interrupt.resume()
        defer { interrupt.cancel() }
        let (finished, step) = try await work.value
        guard finished else {
            printError("interrupted after step \(step): continue with the same options and --resume \(checkpointDirectory)")
            throw ExitCode(130)
        }
        printError("wrote \(out) (rank \(rank), alpha \(settings.alpha), targets \(targets)); peak memory \(peakResidentBytes() / 1_048_576) MiB")
    }
}
