/// A language model: a vocabulary and sessions that compute next-token logits.
///
/// The model itself is immutable and can be shared across tasks; all per-sequence state (the KV cache)
/// lives in a session.
public protocol LanguageModel: Sendable {
    /// The model's sessions: one sequence and its KV cache each.
    associatedtype Session: LanguageModelSession
    /// The model's tokenizer type.
    associatedtype TextTokenizer: Tokenizer

    /// The model's tokens and its special ids.
    var vocabulary: Vocabulary { get }
    /// Text to ids and back, exactly as the model was trained to read it.
    var tokenizer: TextTokenizer { get }
    /// The longest sequence the model was trained for.
    var contextLength: Int { get }

    /// A new, empty sequence. `capacity` caps its length (default: `contextLength`).
    func makeSession(capacity: Int?) throws -> Session

    /// Appends `tokens[i]` to `sessions[i]` and returns each one's next-token logits (row i), as several
    /// single-token appends would, but stepped together.
    func decode(_ sessions: [Session], tokens: [TokenID]) throws -> LogitMatrix
}

extension LanguageModel {
    /// A new, empty sequence that can grow to the model's context length.
    public func makeSession() throws -> Session { try makeSession(capacity: nil) }

    /// Steps each session on its own.
    public func decode(_ sessions: [Session], tokens: [TokenID]) throws -> LogitMatrix {
        guard sessions.count == tokens.count else { throw LanguageModelError.invalidBatch }
        var values: [Float] = []
        for (session, token) in zip(sessions, tokens) { values += try session.append([token], logits: .last).values }
        return LogitMatrix(rows: sessions.count, columns: vocabulary.count, values: values)
    }
}

extension LanguageModelSession {
    /// No chunks: every append runs whole.
    public var chunkSize: Int { .max }
}

/// Which positions' logits `LanguageModelSession.append` returns.
public enum LogitRequest: Sendable, Equatable {
    /// None: prefill only.
    case none
    /// The distribution after the last appended token.
    case last
    /// One row per appended token: row `i` is the distribution of the token after `tokens[0...i]`.
    case all
}

/// One sequence and its KV cache.
public protocol LanguageModelSession: AnyObject {
    /// The tokens the cache holds, in order.
    var tokens: [TokenID] { get }
    /// The most tokens this session can hold.
    var capacity: Int { get }

    /// Runs the model over `tokens` (all at once, as a batched prefill) and returns raw logits.
    func append(_ tokens: [TokenID], logits: LogitRequest) throws -> LogitMatrix

    /// Tokens per forward pass: a longer `append` runs in chunks of this many, counted from its first
    /// token. Appending a chunk at a time gives the same logits as appending all at once.
    var chunkSize: Int { get }
    /// Forgets every token from position `count` on.
    func truncate(to count: Int) throws

    /// An independent copy of this sequence, sharing nothing mutable.
    func fork() throws -> Self
}
