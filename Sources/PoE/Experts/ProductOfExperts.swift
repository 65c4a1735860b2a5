/// An expert with its weight in a product.
public struct WeightedExpert: Sendable {
    public let expert: any Expert
    public let weight: Float

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
/// normalises only when a probability is needed. The order of experts does not matter.
public struct ProductOfExperts: Sendable {
    public let experts: [WeightedExpert]

    /// Checks every expert against the model's vocabulary.
    public init(_ experts: [WeightedExpert], vocabulary: Vocabulary) throws {
        for weighted in experts { try weighted.expert.check(vocabulary: vocabulary) }
        self.experts = experts
    }

    /// No experts: the base model alone.
    public static let none = ProductOfExperts(unchecked: [])

    private init(unchecked experts: [WeightedExpert]) { self.experts = experts }

    /// Fresh state for a sequence that begins with `prompt`.
    public func start(_ prompt: Prompt) throws -> ProductState {
        ProductState(experts: experts, states: try experts.map { try $0.expert.start(prompt) })
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
    let states: [any ExpertState]

    init(experts: [WeightedExpert], states: [any ExpertState]) {
        self.experts = experts
        self.states = states
    }

    /// Adds every expert's weighted scores to `logits` (which start as the base model's) and returns
    /// each expert's scores, for a trace.
    @discardableResult
    public func apply(to logits: UnsafeMutableBufferPointer<Float>, step: ExpertStep) throws -> [ExpertScores] {
        var all: [ExpertScores] = []
        all.reserveCapacity(states.count)
        for (weighted, state) in zip(experts, states) {
            let scores = weighted.weight == 0 ? ExpertScores.none : try state.scores(step)
            scores.add(to: logits, weight: weighted.weight)
            all.append(scores)
        }
        return all
    }

    /// Tells every expert the chosen token.
    public func accept(_ token: TokenID) throws {
        for state in states { try state.accept(token) }
    }
}
