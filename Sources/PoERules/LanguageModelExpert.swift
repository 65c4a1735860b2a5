import PoE

/// Another language model as an expert: its log-probabilities, weighted (a negative weight makes a
/// contrastive product: "less like this model"). Its vocabulary must equal the base model's.
public struct LanguageModelExpert<Model: LanguageModel>: Expert {
    /// The expert model (its vocabulary must equal the base model's).
    public let model: Model
    /// The name traces show.
    public let name: String

    /// An expert that scores with `model`'s log-probabilities.
    public init(_ model: Model, name: String = "languageModel") {
        self.model = model
        self.name = name
    }

    public func check(vocabulary: Vocabulary) throws {
        let own = model.vocabulary
        guard own.count == vocabulary.count else {
            throw RuleError.vocabularyMismatch(expert: name, expected: vocabulary.count, found: own.count, firstDifference: nil)
        }
        if let first = own.pieces.indices.first(where: { own.pieces[$0] != vocabulary.pieces[$0] }) {
            throw RuleError.vocabularyMismatch(expert: name, expected: vocabulary.count, found: own.count, firstDifference: first)
        }
    }

    public func start(_ prompt: Prompt) throws -> any ExpertState {
        let session = try model.makeSession()
        return State(session: session, logits: try session.append(prompt.tokens, logits: .last))
    }

    final class State: ExpertState {
        let session: Model.Session
        var logits: LogitMatrix

        init(session: Model.Session, logits: LogitMatrix) {
            self.session = session
            self.logits = logits
        }

        func scores(_ step: ExpertStep) -> ExpertScores { .dense(logits.logProbabilities(row: 0)) }

        func accept(_ token: TokenID) throws { logits = try session.append([token], logits: .last) }
    }
}
