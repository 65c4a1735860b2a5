import PoE

/// What determines a training run's result; a resumed run must have the same.
public struct TrainingSettings: Sendable, Codable, Equatable {
    public var model: String
    public var data: String
    /// FNV-1a (64-bit) of the data file's bytes: a changed file is refused on resume.
    public var dataFingerprint: String
    public var format: TrainingFormat
    public var template: String
    public var rank: Int
    public var alpha: Float
    public var targets: [LoRATarget]
    /// Optimizer steps; derived from `epochs` when that is given instead.
    public var steps: Int?
    public var epochs: Int?
    public var learningRate: Float
    public var warmupSteps: Int
    public var schedule: LearningRateSchedule
    public var weightDecay: Float
    /// Gradient-norm limit (0: none).
    public var clip: Float
    /// Tokens per optimizer step: sequences are added to a step until it holds this many (gradient
    /// accumulation); at least one sequence a step.
    public var batchTokens: Int
    public var maxLength: Int
    public var evalFraction: Double
    public var evalEvery: Int
    public var seed: UInt64

    public init(
        model: String, data: String, dataFingerprint: String, format: TrainingFormat, template: String, rank: Int, alpha: Float,
        targets: [LoRATarget], steps: Int?, epochs: Int?, learningRate: Float, warmupSteps: Int, schedule: LearningRateSchedule,
        weightDecay: Float, clip: Float, batchTokens: Int, maxLength: Int, evalFraction: Double, evalEvery: Int, seed: UInt64
    ) {
        (self.model, self.data, self.dataFingerprint, self.format, self.template) = (model, data, dataFingerprint, format, template)
        (self.rank, self.alpha, self.targets, self.steps, self.epochs) = (rank, alpha, targets, steps, epochs)
        (self.learningRate, self.warmupSteps, self.schedule, self.weightDecay, self.clip) = (learningRate, warmupSteps, schedule, weightDecay, clip)
        (self.batchTokens, self.maxLength, self.evalFraction, self.evalEvery, self.seed) = (batchTokens, maxLength, evalFraction, evalEvery, seed)
    }

    enum CodingKeys: String, CodingKey {
        case model, data, format, template, rank, alpha, targets, steps, epochs, schedule, clip, seed
        case dataFingerprint = "data_fingerprint", learningRate = "learning_rate", warmupSteps = "warmup_steps"
        case weightDecay = "weight_decay", batchTokens = "batch_tokens", maxLength = "max_length"
        case evalFraction = "eval_fraction", evalEvery = "eval_every"
    }

    /// FNV-1a, 64 bits, as hex: enough to notice that a file changed.
    public static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return String(hash, radix: 16)
    }
}

/// One line of the training log (`--log FILE`).
public struct TrainingLogLine: Sendable, Codable, Equatable {
    public var step: Int
    /// Mean cross-entropy per target token over the step's sequences.
    public var loss: Double
    public var learningRate: Float
    /// The gradient's global norm before clipping.
    public var gradientNorm: Float
    /// Target tokens and all tokens of the step.
    public var lossTokens: Int
    public var tokens: Int
    public var tokensPerSecond: Double
    /// Mean cross-entropy on the held-out examples, on steps where it is measured.
    public var evalLoss: Double?

    enum CodingKeys: String, CodingKey {
        case step, loss, tokens
        case learningRate = "learning_rate", gradientNorm = "grad_norm", lossTokens = "loss_tokens"
        case tokensPerSecond = "tokens_per_s", evalLoss = "eval_loss"
    }
}
