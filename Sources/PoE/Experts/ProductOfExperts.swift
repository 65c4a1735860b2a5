/// An expert with its weight in a product.
public struct WeightedExpert: Sendable {
    /// The expert.
    public let expert: any Expert
    /// What its scores are multiplied by before they are added (finite; 0 switches it off, a negative
    /// weight turns it around).
    public let weight: Float

    /// An expert with a weight (checked when the product is built).
    public init(_ expert: any Expert, weight: Float = 1) {
        self.expert = expert
        self.weight = weight
    }
}

/// The base model's distribution multiplied by experts': `log_softmax(base) + Σ weightᵢ · scoresᵢ`,
/// renormalised.
///
/// Adding the scores to the raw logits instead and taking `log_softmax` of the sum gives the same
/// distribution (the normaliser of the base is a constant), so the product works on raw logits and
/// normalises only when a probability is needed. Every expert sees the base model's own logits, so the
/// order of experts does not matter (beyond the rounding of float sums).
public struct ProductOfExperts: Sendable {
    /// The experts and their weights, in order.
    public let experts: [WeightedExpert]

    /// Checks every weight (finite) and every expert against the model's vocabulary.
    public init(_ experts: [WeightedExpert], vocabulary: Vocabulary) throws {
        for (index, weighted) in experts.enumerated() {
            guard weighted.weight.isFinite else {
                throw ProductError.invalidWeight(expert: weighted.expert.name, index: index, weight: weighted.weight)
            }
            try weighted.expert.check(vocabulary: vocabulary)
        }
        self.experts = experts
    }

    /// No experts: the base model alone.
    public static let none = ProductOfExperts(unchecked: [])

    private init(unchecked experts: [WeightedExpert]) { self.experts = experts }

    /// Fresh state for a sequence that begins with `prompt`.
    public func start(_ prompt: Prompt) throws -> ProductState {
        ProductState(experts: experts, names: names, states: try experts.map { try $0.expert.start(prompt) })
    }

    /// The experts' names, made unique with a number where one repeats.
    public var names: [String] {
        var seen: [String: Int] = [:]
        return experts.map { weighted in
            let name = weighted.expert.name
            let count = (seen[name] ?? 0) + 1
            seen[name] = count
            return count == 1 ? name : "\(name)#\(count)"
        }
    }
}

/// A product's state for one sequence.
public final class ProductState {
    let experts: [WeightedExpert]
    let names: [String]
    let states: [any ExpertState]

    init(experts: [WeightedExpert], names: [String], states: [any ExpertState]) {
        self.experts = experts
        self.names = names
        self.states = states
    }

    /// Writes the product's logits for the next token into `product`: the base model's logits
    /// (`step.baseLogits`, which every expert sees unchanged) plus every expert's weighted scores. Returns
    /// each expert's scores, for a trace.
    ///
    /// Throws `ProductError` when an expert's scores do not fit the vocabulary, or when the product is
    /// not a distribution (a NaN or `+infinity`, or every token at `-infinity`), naming the model or the
    /// expert that made it so, and the step.
    @discardableResult
    public func combine(_ step: ExpertStep, into product: UnsafeMutableBufferPointer<Float>) throws -> [ExpertScores] {
        let base = step.baseLogits
        guard product.count == base.count, let output = product.baseAddress, let input = base.baseAddress else {
            throw ProductError.sizeMismatch(base: base.count, product: product.count)
        }
        guard output != UnsafeMutablePointer(mutating: input) else { throw ProductError.sharedBuffer }
        // The base row is copied and checked in one pass; after that only what experts touch can go wrong:
        // the ids a sparse expert scores are checked where it adds, a dense expert's row in one more pass.
        if FiniteCheck.copy(base, to: product) != nil { throw diagnose(step: step, scores: []) }
        var all: [ExpertScores] = []
        all.reserveCapacity(states.count)
        var checkEverything = false, mayExcludeAll = false
        for (index, (weighted, state)) in zip(experts, states).enumerated() {
            let scores = weighted.weight == 0 ? ExpertScores.none : try state.scores(step)
            if let problem = scores.problem(vocabularySize: base.count) {
                throw ProductError.invalidScores(expert: names[index], step: step.generatedCount, problem: problem)
            }
            scores.add(to: product, weight: weighted.weight)
            all.append(scores)
            switch scores {
            case .none: break
            case .dense: checkEverything = true
            case let .sparse(ids, _):
                for id in ids {
                    let value = product[Int(id)]
                    if value.isNaN || value == .infinity { throw diagnose(step: step, scores: all) }
                    if value == -.infinity { mayExcludeAll = true }
                }
            }
        }
        if checkEverything, FiniteCheck(UnsafeBufferPointer(product)).defect != nil { throw diagnose(step: step, scores: all) }
        // Some token left: usually the first one looked at.
        if mayExcludeAll, !product.contains(where: { $0 > -.infinity }) { throw diagnose(step: step, scores: all) }
        return all
    }

    /// Tells every expert the chosen token.
    public func accept(_ token: TokenID) throws {
        for state in states { try state.accept(token) }
    }

    /// Who made the product non-finite: the model's logits, or the first expert whose scores, added to
    /// what came before, did.
    private func diagnose(step: ExpertStep, scores: [ExpertScores]) -> ProductError {
        let at = step.generatedCount
        if let bad = FiniteCheck(step.baseLogits).firstBad {
            return .nonFinite(source: "the model's logits", step: at, token: TokenID(bad), value: step.baseLogits[bad])
        }
        if scores.isEmpty { return .everyTokenExcluded(step: at, by: []) }
        var running = Array(step.baseLogits)
        for (index, expertScores) in scores.enumerated() {
            running.withUnsafeMutableBufferPointer { expertScores.add(to: $0, weight: experts[index].weight) }
            if let bad = running.withUnsafeBufferPointer({ FiniteCheck($0).firstBad }) {
                return .nonFinite(
                    source: "expert '\(names[index])' (weight \(experts[index].weight))", step: at, token: TokenID(bad), value: running[bad])
            }
        }
        let excluding = scores.indices.filter { index in
            switch scores[index] {
            case let .dense(values): values.contains(-.infinity)
            case let .sparse(_, values): values.contains { $0.isInfinite }
            case .none: false
            }
        }.map { names[$0] }
        return .everyTokenExcluded(step: at, by: excluding)
    }
}

/// A product that is not a distribution, or experts that do not fit it.
public enum ProductError: Error, Equatable, CustomStringConvertible {
    /// An expert's weight is not a finite number.
    case invalidWeight(expert: String, index: Int, weight: Float)
    /// An expert's scores do not fit the vocabulary (a wrong length, an id outside it).
    case invalidScores(expert: String, step: Int, problem: String)
    /// The model's logits or an expert's scores made a token's score NaN or `+infinity`.
    case nonFinite(source: String, step: Int, token: TokenID, value: Float)
    /// Every token was ruled out (`-infinity`), by the experts named.
    case everyTokenExcluded(step: Int, by: [String])
    /// The product's buffer and the base logits differ in length.
    case sizeMismatch(base: Int, product: Int)
    /// The product was to be written over the base logits, which experts read.
    case sharedBuffer

    public var description: String {
        switch self {
        case let .invalidWeight(expert, index, weight):
            "expert \(index + 1) ('\(expert)') has weight \(weight); weights must be finite numbers"
        case let .invalidScores(expert, step, problem):
            "step \(step): expert '\(expert)' \(problem)"
        case let .nonFinite(source, step, token, value):
            "step \(step): \(source) made token \(token)'s score \(value); a product needs finite scores (or -inf to rule a token out)"
        case let .everyTokenExcluded(step, experts):
            "step \(step): every token was ruled out (-inf)" + (experts.isEmpty ? "" : " by \(experts.map { "'\($0)'" }.joined(separator: ", "))")
        case let .sizeMismatch(base, product):
            "the product row holds \(product) scores but the base model gave \(base)"
        case .sharedBuffer:
            "the product must be written to a buffer other than the base logits, which experts read"
        }
    }
}
