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

    /// 0 for the first response token.
    public var step: Int
    public var token: TokenID
    public var piece: String
    /// The base model's log-probability of the chosen token.
    public var baseLogProbability: Float
    public var contributions: [Contribution]
    /// The chosen token's probability in the product.
    public var finalProbability: Float
    /// The base model's own most likely token.
    public var baseTopToken: TokenID
    public var baseTopPiece: String
    /// Whether the chosen token differs from the base model's top token.
    public var changedByExperts: Bool

    enum CodingKeys: String, CodingKey {
        case step, token, piece, contributions
        case baseLogProbability = "base_logprob", finalProbability = "final_probability"
        case baseTopToken = "base_top_token", baseTopPiece = "base_top_piece", changedByExperts = "changed_by_experts"
    }
}
