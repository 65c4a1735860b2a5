/// Why one token was chosen: what the base model thought, what each expert added, and the result.
public struct TraceRecord: Sendable, Codable, Equatable {
    /// An expert's weighted score of the chosen token.
    public struct Contribution: Sendable, Codable, Equatable {
        /// The expert's name in the product.
        public var expert: String
        /// Its weighted score of the chosen token.
        public var score: Float

        /// An expert's contribution.
        public init(expert: String, score: Float) {
            self.expert = expert
            self.score = score
        }
    }

    /// One of the product's most likely tokens at a step.
    public struct Alternative: Sendable, Codable, Equatable {
        /// The token.
        public var token: TokenID
        /// Its text (control tokens rendered).
        public var piece: String
        /// Its log-probability in the product, and in the base model.
        public var logProbability: Float
        /// Its log-probability in the base model.
        public var baseLogProbability: Float

        /// An alternative token with its two log-probabilities.
        public init(token: TokenID, piece: String, logProbability: Float, baseLogProbability: Float) {
            self.token = token
            self.piece = piece
            self.logProbability = logProbability
            self.baseLogProbability = baseLogProbability
        }

        enum CodingKeys: String, CodingKey {
            case token, piece
            case logProbability = "logprob", baseLogProbability = "base_logprob"
        }
    }

    /// 0 for the first response token.
    public var step: Int
    /// The chosen token.
    public var token: TokenID
    /// Its text (control tokens rendered).
    public var piece: String
    /// The base model's log-probability of the chosen token.
    public var baseLogProbability: Float
    /// Each expert's weighted score of the chosen token, in the product's order.
    public var contributions: [Contribution]
    /// The chosen token's probability in the product, and its log (which keeps its precision where the
    /// probability underflows).
    public var finalProbability: Float
    /// The chosen token's log-probability in the product.
    public var finalLogProbability: Float
    /// The base model's own most likely token.
    public var baseTopToken: TokenID
    /// The text of the base model's most likely token.
    public var baseTopPiece: String
    /// Whether the chosen token differs from the base model's top token.
    public var changedByExperts: Bool
    /// The product's most likely tokens, most likely first (`GenerationParameters.topAlternatives` of them).
    public var alternatives: [Alternative]

    enum CodingKeys: String, CodingKey {
        case step, token, piece, contributions
        case baseLogProbability = "base_logprob", finalProbability = "final_probability", finalLogProbability = "final_logprob"
        case baseTopToken = "base_top_token", baseTopPiece = "base_top_piece", changedByExperts = "changed_by_experts", alternatives
    }
}
