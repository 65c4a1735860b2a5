import PoE

/// What determines a training run's result; a resumed run must have the same.
public struct TrainingSettings: Sendable, Codable, Equatable {
    /// The model's name or path.
    public var model: String
    /// The training file's path.
    public var data: String
    /// FNV-1a (64-bit) of the data file's bytes: a changed file is refused on resume.
    public var dataFingerprint: String
    /// How the file's records become sequences.
    public var format: TrainingFormat
    /// The template of `instruction` records.
    public var template: String
    /// The adapter's rank.
    public var rank: Int
    /// The adapter's alpha (its product is scaled by alpha / rank).
    public var alpha: Float
    /// The projections adapted in every layer.
    public var targets: [LoRATarget]
    /// Optimizer steps; derived from `epochs` when that is given instead.
    public var steps: Int?
    /// Passes over the training examples, when `steps` is not given.
    public var epochs: Int?
    /// The peak learning rate.
    public var learningRate: Float
    /// Steps over which the rate rises linearly from 0 to its peak.
    public var warmupSteps: Int
    /// How the rate falls after the warm-up.
    public var schedule: LearningRateSchedule
    /// AdamW's decoupled weight decay.
    public var weightDecay: Float
    /// Gradient-norm limit (0: none).
    public var clip: Float
    /// Tokens per optimizer step: sequences are added to a step until it holds this many (gradient
    /// accumulation); at least one sequence a step.
    public var batchTokens: Int
    /// Longer sequences are cut to this many tokens.
    public var maxLength: Int
    /// The share of examples held out for evaluation.
    public var evalFraction: Double
    /// Steps between evaluations of the held-out loss (0: at the end only).
    public var evalEvery: Int
    /// Seeds the adapter's initialisation, the split and the order of examples.
    public var seed: UInt64

    /// Settings as given.
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
    /// The step, counted from 1.
    public var step: Int
    /// Mean cross-entropy per target token over the step's sequences.
    public var loss: Double
    /// The learning rate of the step.
    public var learningRate: Float
    /// The gradient's global norm before clipping.
    public var gradientNorm: Float
    /// Target tokens of the step: those the loss is taken on.
    public var lossTokens: Int
    /// All tokens of the step.
    public var tokens: Int
    /// Tokens trained per second over the step.
    public var tokensPerSecond: Double
    /// Mean cross-entropy on the held-out examples, on steps where it is measured.
    public var evalLoss: Double?

    enum CodingKeys: String, CodingKey {
        case step, loss, tokens
        case learningRate = "learning_rate", gradientNorm = "grad_norm", lossTokens = "loss_tokens"
        case tokensPerSecond = "tokens_per_s", evalLoss = "eval_loss"
    }
}
