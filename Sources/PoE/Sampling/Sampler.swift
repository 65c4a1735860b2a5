import Foundation

/// The tokens still in the running and their logits, as a sampler chain narrows them.
public struct Candidates: Sendable, Equatable {
    public var ids: [TokenID]
    public var logits: [Float]

    public init(ids: [TokenID], logits: [Float]) {
        self.ids = ids
        self.logits = logits
    }

    /// Every token of a vocabulary.
    public init(logits: UnsafeBufferPointer<Float>) {
        ids = (0 ..< TokenID(logits.count)).map { $0 }
        self.logits = Array(logits)
    }

    public var count: Int { ids.count }

    /// Keeps the candidates at `indices`, in that order.
    mutating func keep(_ indices: some Sequence<Int>) {
        let kept = Array(indices)
        ids = kept.map { ids[$0] }
        logits = kept.map { logits[$0] }
    }

    /// Indices by descending logit (lower id first among equals).
    func orderByLogit() -> [Int] {
        ids.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && ids[$0] < ids[$1]) }
    }

    /// Softmax probabilities of the candidates.
    func probabilities() -> [Double] {
        guard let maximum = logits.max() else { return [] }
        let weights = logits.map { Double(exp($0 - maximum)) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }
}

/// One stage of a sampler chain, llama.cpp-style: it narrows or reshapes the candidates; the last stage
/// picks one.
public protocol SamplerStage: Sendable {
    /// Narrows or reshapes the candidates.
    mutating func apply(_ candidates: inout Candidates)
}

public struct TemperatureStage: SamplerStage {
    public let temperature: Float
    public init(temperature: Float) { self.temperature = temperature }
    public mutating func apply(_ candidates: inout Candidates) {
        for i in candidates.logits.indices { candidates.logits[i] /= temperature }
    }
}

public struct TopKStage: SamplerStage {
    public let k: Int
    public init(k: Int) { self.k = k }
    public mutating func apply(_ candidates: inout Candidates) {
        guard k > 0, k < candidates.count else { return }
        candidates.keep(candidates.orderByLogit().prefix(k))
    }
}

/// Keeps the most likely candidates until their probabilities reach `p` (the one that crosses included).
public struct TopPStage: SamplerStage {
    public let p: Float
    public init(p: Float) { self.p = p }
    public mutating func apply(_ candidates: inout Candidates) {
        guard p < 1, candidates.count > 1 else { return }
        let order = candidates.orderByLogit()
        let probabilities = candidates.probabilities()
        var total = 0.0
        var kept = 0
        for index in order {
            total += probabilities[index]
            kept += 1
            if total >= Double(p) { break }
        }
        candidates.keep(order.prefix(kept))
    }
}

/// Keeps candidates at least `p` times as likely as the most likely one.
public struct MinPStage: SamplerStage {
    public let p: Float
    public init(p: Float) { self.p = p }
    public mutating func apply(_ candidates: inout Candidates) {
        guard p > 0, let maximum = candidates.logits.max() else { return }
        let threshold = maximum + log(p)
        candidates.keep(candidates.ids.indices.filter { candidates.logits[$0] >= threshold })
    }
}

/// The full chain for a set of parameters, with the sequence's own random generator.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var stages: [any SamplerStage]
    private var generator: SeededGenerator

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
        var candidates = Candidates(logits: logits)
        for i in stages.indices { stages[i].apply(&candidates) }
        // Draw: walk the candidates in order until the cumulative probability passes a uniform number.
        let probabilities = candidates.probabilities()
        let target = generator.nextUnit()
        var total = 0.0
        for (index, probability) in probabilities.enumerated() {
            total += probability
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
