/// A judge model, asked which of two responses follows an instruction better. `JudgeClient` (in
/// `PoEJudge`) asks one behind an OpenAI-compatible endpoint.
public protocol Judge: Sendable {
    /// The judge model's name (it keys the cached judgments) and where it is asked (for the report).
    var model: String { get }
    /// Where it is asked (a URL, for the report).
    var location: String { get }
    /// The judge's answer to a chat; a `JudgeError` when none could be had.
    func ask(_ messages: [ChatTurn]) async throws -> JudgeAnswer
}

/// Why a judgment could not be had (an answer that reads as no choice is not an error: it is recorded as
/// unparseable).
public struct JudgeError: Error, Equatable, CustomStringConvertible {
    /// What went wrong, in one sentence.
    public var description: String
    /// Whether trying again may succeed.
    public var isTransient: Bool

    /// An error; `transient` if trying again may succeed.
    public init(_ description: String, transient: Bool) {
        self.description = description
        isTransient = transient
    }
}

