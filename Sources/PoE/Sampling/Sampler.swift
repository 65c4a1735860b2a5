import Foundation

/// The tokens still in the running and their logits, as a sampler chain narrows them.
public struct Candidates: Sendable, Equatable {
    /// The candidates' token ids.
    public var ids: [TokenID]
    /// `logits[i]` is the (possibly reshaped) logit of `ids[i]`.
    public var logits: [Float]

    /// Candidates with these ids and logits, which must have the same length.
    public init(ids: [TokenID], logits: [Float]) {
        self.ids = ids
        self.logits = logits
    }

    /// Every token of a vocabulary.
    public init(logits: UnsafeBufferPointer<Float>) {
        ids = []
        self.logits = []
        reset(to: logits)
    }

    /// How many candidates are left.
    public var count: Int { ids.count }

    /// Every token of a vocabulary again, reusing the arrays' storage (a sampler does this each step).
    mutating func reset(to logits: UnsafeBufferPointer<Float>) {
        ids.removeAll(keepingCapacity: true)
        self.logits.removeAll(keepingCapacity: true)
        ids.append(contentsOf: 0 ..< TokenID(logits.count))
        self.logits.append(contentsOf: logits)
    }

    /// Keeps the candidates at `indices`, in that order.
    mutating func keep(_ indices: some Collection<Int>) {
        let kept = Array(indices)
        ids = kept.map { ids[$0] }
        logits = kept.map { logits[$0] }
    }

    /// Keeps the candidates for which `isKept` holds, in their order, in place.
    mutating func keep(where isKept: (_ logit: Float) -> Bool) {
        var count = 0
        for i in ids.indices where isKept(logits[i]) {
            (ids[count], logits[count]) = (ids[i], logits[i])
            count += 1
        }
        ids.removeLast(ids.count - count)
        logits.removeLast(logits.count - count)
    }

    /// The indices of the most likely candidates in descending logit order (lower id first among equals),
    /// as many as `enough` asks for: it is given a sorted head of the order and returns how many of it to
    /// keep, or nil when it needs to see more.
    ///
    /// Sorting a whole vocabulary each step costs more than a forward pass, so the head is taken from
    /// the candidates within a margin of the largest logit, widened until `enough` is satisfied. Every
    /// candidate left out is below every one taken, so the head is a prefix of the full order.
    func head(_ enough: ([Int]) -> Int?) -> [Int] {
        guard let maximum = logits.max() else { return [] }
        let precedes = { (a: Int, b: Int) in logits[a] > logits[b] || (logits[a] == logits[b] && ids[a] < ids[b]) }
        var margin: Float = 8
        while true {
            let floor = margin > 1e4 ? -Float.infinity : maximum - margin
            let head = logits.indices.filter { logits[$0] >= floor }.sorted(by: precedes)
            if let kept = enough(head) { return Array(head.prefix(kept)) }
            if head.count == count { return head }
            margin *= 4
        }
    }

    /// `exp(logit - maximum)` summed over the candidates, with the maximum: probability i is
    /// `exp(logits[i] - maximum) / total`.
    func normaliser() -> (maximum: Float, total: Double) {
        guard let maximum = logits.max() else { return (0, 0) }
        var total = 0.0
        for logit in logits { total += Double(exp(logit - maximum)) }
        return (maximum, total)
    }
}

/// One stage of a sampler chain, llama.cpp-style: it narrows or reshapes the candidates; the last stage
/// picks one.
public protocol SamplerStage: Sendable {
    /// Narrows or reshapes the candidates.
    mutating func apply(_ candidates: inout Candidates)
}

/// Divides every logit by the temperature (above 1 flattens the distribution, below 1 sharpens it).
public struct TemperatureStage: SamplerStage {
    /// The divisor.
    public let temperature: Float
    /// A stage dividing by `temperature`.
    public init(temperature: Float) { self.temperature = temperature }
    /// Divides the candidates' logits.
    public mutating func apply(_ candidates: inout Candidates) {
        for i in candidates.logits.indices { candidates.logits[i] /= temperature }
    }
}

/// Keeps the `k` most likely candidates, most likely first (lower id first among equals).
public struct TopKStage: SamplerStage {
    /// How many candidates are kept (0: all).
    public let k: Int
    /// A stage keeping `k` candidates.
    public init(k: Int) { self.k = k }
    /// Keeps the `k` most likely candidates.
    public mutating func apply(_ candidates: inout Candidates) {
        guard k > 0, k < candidates.count else { return }
        candidates.keep(candidates.head { $0.count >= k ? k : nil })
    }
}

/// Keeps the most likely candidates until their probabilities reach `p` (the one that crosses included).
public struct TopPStage: SamplerStage {
    /// The probability the kept candidates must reach (1: all).
    public let p: Float
    /// A stage keeping candidates up to probability `p`.
    public init(p: Float) { self.p = p }
    /// Keeps the most likely candidates up to probability `p`, most likely first.
    public mutating func apply(_ candidates: inout Candidates) {
        guard p < 1, candidates.count > 1 else { return }
        let (maximum, normaliser) = candidates.normaliser()
        candidates.keep(candidates.head { order in
            var total = 0.0
            for (kept, index) in order.enumerated() {
                total += Double(exp(candidates.logits[index] - maximum)) / normaliser
                if total >= Double(p) { return kept + 1 }
            }
            return nil
        })
    }
}

/// Keeps candidates at least `p` times as likely as the most likely one.
public struct MinPStage: SamplerStage {
    /// The fraction of the top probability a candidate needs (0: all).
    public let p: Float
    /// A stage keeping candidates at least `p` times as likely as the top one.
    public init(p: Float) { self.p = p }
    /// Keeps the candidates above the threshold, in their order.
    public mutating func apply(_ candidates: inout Candidates) {
        guard p > 0, let maximum = candidates.logits.max() else { return }
        let threshold = maximum + log(p)
        candidates.keep { $0 >= threshold }
    }
}

/// The full chain for a set of parameters, with the sequence's own random generator.
public struct Sampler: Sendable {
    /// The settings the chain was built from.
    public let parameters: SamplingParameters
    private var stages: [any SamplerStage]
    private var generator: SeededGenerator
    /// The candidates' storage, kept from step to step so that sampling allocates no vocabulary-sized
    /// arrays.
    private var candidates = Candidates(ids: [], logits: [])
    private var weights: [Float] = []

    /// The chain for `parameters`: temperature, top-k, top-p and min-p where they are set, with a generator
    /// seeded by `parameters.seed`.
    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        generator = SeededGenerator(seed: parameters.seed)
        var stages: [any SamplerStage] = []
        if !parameters.isGreedy {
            stages.append(TemperatureStage(temperature: parameters.temperature))
            if let k = parameters.topK, k > 0 { stages.append(TopKStage(k: k)) }
            if let p = parameters.topP, p < 1 { stages.append(TopPStage(p: p)) }
            if let p = parameters.minP, p > 0 { stages.append(MinPStage(p: p)) }
        }
        self.stages = stages
    }

    /// The next token for these logits (the product's, unnormalised).
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> TokenID {
        if parameters.isGreedy { return argmax(logits) }
        candidates.reset(to: logits)
        for i in stages.indices { stages[i].apply(&candidates) }
        // Draw: walk the candidates in order until the cumulative probability passes a uniform number.
        // Each weight exp(logit - max) is computed once, kept for the walk.
        let maximum = candidates.logits.max() ?? 0
        weights.removeAll(keepingCapacity: true)
        var normaliser = 0.0
        for logit in candidates.logits {
            let weight = exp(logit - maximum)
            weights.append(weight)
            normaliser += Double(weight)
        }
        let target = generator.nextUnit()
        var total = 0.0
        for (index, weight) in weights.enumerated() {
            total += Double(weight) / normaliser
            if target < total { return candidates.ids[index] }
        }
        return candidates.ids[candidates.count - 1]
    }
}

/// The index of the largest value (the lowest among equals).
public func argmax(_ values: UnsafeBufferPointer<Float>) -> TokenID {
    var best = 0
    var bestValue = -Float.infinity
    for (i, value) in values.enumerated() where value > bestValue {
        best = i
        bestValue = value
    }
    return TokenID(best)
}
