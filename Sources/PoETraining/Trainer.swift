import Foundation
import PoE
import PoETransformer

/// Trains a LoRA adapter: the examples split into training and held-out sets, the training set visited in
/// a seeded order per epoch and packed into steps of about `batchTokens` tokens, each step's gradient the
/// mean over its target tokens, clipped, and an AdamW update at the scheduled rate. Everything that
/// decides the next step is in a checkpoint, so a resumed run continues exactly.
public final class Trainer {
    /// The frozen base model.
    public let model: Transformer
    /// The run's settings.
    public let settings: TrainingSettings
    /// The adapter being trained.
    public let lora: TrainableLoRA
    /// The examples trained on.
    public let trainingExamples: [TrainingExample]
    /// The held-out examples.
    public let evaluationExamples: [TrainingExample]
    /// Every step's examples (indices into `trainingExamples`), over all epochs.
    public let plan: [[Int]]
    /// Steps done.
    public private(set) var step = 0
    private var optimizer: AdamW
    private let graph: TrainingGraph

    /// `recomputingActivations` is gradient checkpointing: each layer's activations are computed again in
    /// the backward pass rather than kept, for a third more time and a fraction of the memory; the
    /// results are the same, so a run may be resumed with or without it.
    public init(
        model: Transformer, settings: TrainingSettings, examples: [TrainingExample], recomputingActivations: Bool = false
    ) throws(TrainingError) {
        if let feature = TrainingGraph.unsupportedFeature(of: model) {
            throw .settings("training does not support \(model.config.architecture.rawValue) models yet: \(feature)")
        }
        self.model = model
        self.settings = settings
        var random = SeededGenerator(seed: settings.seed)
        // The held-out split: a seeded draw, at least one example when a fraction is asked for and there
        // are two or more.
        var order = Array(examples.indices)
        order.shuffle(using: &random)
        let held = settings.evalFraction > 0 && examples.count > 1 ? max(1, Int(Double(examples.count) * settings.evalFraction)) : 0
        evaluationExamples = order.prefix(held).sorted().map { examples[$0] }
        trainingExamples = order.dropFirst(held).sorted().map { examples[$0] }
        guard !trainingExamples.isEmpty else { throw .settings("no training examples are left after the held-out split") }
        plan = Self.plan(trainingExamples, settings: settings)
        guard !plan.isEmpty else { throw .settings("the plan has no steps") }
        lora = TrainableLoRA(model: model, rank: settings.rank, alpha: settings.alpha, targets: settings.targets, seed: settings.seed)
        optimizer = AdamW(parameters: lora.parameterCount, weightDecay: settings.weightDecay)
        graph = TrainingGraph(model: model, lora: lora, recomputing: recomputingActivations)
    }

    /// Steps of about `batchTokens` tokens each, epoch after epoch, each epoch in its own seeded order,
    /// until `steps` steps (or `epochs` epochs).
    static func plan(_ examples: [TrainingExample], settings: TrainingSettings) -> [[Int]] {
        var steps: [[Int]] = []
        var epoch: UInt64 = 0
        while true {
            var random = SeededGenerator(seed: settings.seed &+ 0x9E37_79B9 &* (epoch + 1))
            var order = Array(examples.indices)
            order.shuffle(using: &random)
            var current: [Int] = [], tokens = 0
            for index in order {
                if !current.isEmpty, tokens + examples[index].tokens.count > settings.batchTokens {
                    steps.append(current)
                    current = []
                    tokens = 0
                    if let limit = settings.steps, steps.count == limit { return steps }
                }
                current.append(index)
                tokens += examples[index].tokens.count
            }
            if !current.isEmpty { steps.append(current) }
            if let limit = settings.steps, steps.count >= limit { return Array(steps.prefix(limit)) }
            epoch += 1
            if let epochs = settings.epochs, Int(epoch) >= epochs { return steps }
            if settings.steps == nil, settings.epochs == nil { return steps }
        }
    }

    /// Steps in the whole run.
    public var totalSteps: Int { plan.count }

    /// Runs the next step and returns its log line (without the evaluation loss).
    public func trainStep() -> TrainingLogLine {
        let start = ContinuousClock.now
        let examples = plan[step].map { trainingExamples[$0] }
        let lossTokens = examples.reduce(0) { $0 + $1.lossTokens }
        lora.zeroGradients()
        var loss = 0.0
        for example in examples {
            loss += graph.forward(example.input, targets: example.targets, lossScale: 1 / Float(lossTokens))
            graph.backward()
        }
        var gradients = lora.gradients
        let norm = clipGradients(&gradients, limit: settings.clip)
        let rate = settings.schedule.rate(step: step, total: plan.count, warmup: settings.warmupSteps, peak: settings.learningRate)
        var parameters = lora.parameters
        optimizer.update(&parameters, gradients: gradients, learningRate: rate)
        lora.parameters = parameters
        step += 1
        let tokens = examples.reduce(0) { $0 + $1.tokens.count }
        return TrainingLogLine(
            step: step, loss: loss / Double(lossTokens), learningRate: rate, gradientNorm: norm, lossTokens: lossTokens, tokens: tokens,
            tokensPerSecond: Double(tokens) / max((ContinuousClock.now - start).seconds, 1e-9), evalLoss: nil)
    }

    /// Mean cross-entropy per target token over `examples` (the held-out set by default), forward only.
    public func evaluate(_ examples: [TrainingExample]? = nil) -> Double? {
        let examples = examples ?? evaluationExamples
        guard !examples.isEmpty else { return nil }
        let tokens = examples.reduce(0) { $0 + $1.lossTokens }
        let total = examples.reduce(0.0) { $0 + graph.forward($1.input, targets: $1.targets, lossScale: 0) }
        return total / Double(tokens)
    }

    // MARK: - Checkpoints

    /// Writes the run's state to `directory` (replacing what was there, atomically per file): the settings
    /// and step, the adapter's parameters and the optimizer's moments.
    public func saveCheckpoint(to directory: String) throws(TrainingError) {
        let state = CheckpointState(settings: settings, step: step, optimizerSteps: optimizer.steps)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            var floats = lora.parameters + optimizer.m + optimizer.v
            let data = floats.withUnsafeMutableBytes { Data($0) }
            try data.write(to: URL(fileURLWithPath: directory + "/parameters.f32"), options: .atomic)
            try encoder.encode(state).write(to: URL(fileURLWithPath: directory + "/state.json"), options: .atomic)
        } catch {
            throw .checkpoint(path: directory, reason: "cannot be written (\(error.localizedDescription))")
        }
    }

    /// Restores the state `saveCheckpoint` wrote; its settings must be this trainer's.
    public func restoreCheckpoint(from directory: String) throws(TrainingError) {
        let state: CheckpointState
        let bytes: [UInt8]
        do {
            state = try JSONDecoder().decode(CheckpointState.self, from: Data(FileContents.read(directory + "/state.json")))
            bytes = try FileContents.read(directory + "/parameters.f32")
        } catch {
            throw .checkpoint(path: directory, reason: "is not a checkpoint poe train wrote (\(error))")
        }
        guard state.settings == settings else {
            throw .checkpoint(path: directory, reason: "was made with other settings; run it with the same options")
        }
        let count = lora.parameterCount
        guard bytes.count == 3 * count * 4, (0 ... plan.count).contains(state.step) else {
            throw .checkpoint(path: directory, reason: "holds \(bytes.count) bytes of parameters, not \(3 * count * 4)")
        }
        let floats = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        lora.parameters = Array(floats[0 ..< count])
        optimizer.m = Array(floats[count ..< 2 * count])
        optimizer.v = Array(floats[2 * count ..< 3 * count])
        optimizer.steps = state.optimizerSteps
        step = state.step
    }

    /// The adapter as it stands, in llama.cpp's format.
    public func writeAdapter(to path: String) throws(TrainingError) {
        do {
            try lora.gguf(architecture: model.config.architecture.rawValue, name: "poe train \(settings.format.rawValue) \(settings.data)").write(to: path)
        } catch {
            throw .checkpoint(path: path, reason: "cannot be written (\(error.localizedDescription))")
        }
    }
}

/// `state.json` of a checkpoint.
struct CheckpointState: Codable {
    var settings: TrainingSettings
    var step: Int
    var optimizerSteps: Int

    enum CodingKeys: String, CodingKey { case settings, step, optimizerSteps = "optimizer_steps" }
}
