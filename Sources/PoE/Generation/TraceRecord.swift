/// Why one token was chosen: what the base model thought, what each expert added, and the result.
public struct TraceRecord: Sendable, Codable, Equatable {
    /// An expert's weighted score of the chosen token.
    public struct Contribution: Sendable, Codable, Equatable {
        public var expert: String
        public var score: Float

        public init(expert: String, score: Float) {
            self.expert = expert
            self.score = score
        }
    }

    /// One of the product's most likely tokens at a step.
    public struct Alternative: Sendable, Codable, Equatable {
        public var token: TokenID
        public var piece: String
        /// Its log-probability in the product, and in the base model.
        public var logProbability: Float
        public var baseLogProbability: Float

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
    public var token: TokenID
    public var piece: String
    /// The base model's log-probability of the chosen token.
    public var baseLogProbability: Float
    public var contributions: [Contribution]
    /// The chosen token's probability in the product, and its log (which keeps its precision where the
    /// probability underflows).
    public var finalProbability: Float
    public var finalLogProbability: Float
    /// The base model's own most likely token.
    public var baseTopToken: TokenID
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
