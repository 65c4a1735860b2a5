import Foundation

/// The question put to a judge model (our own wording), and how its answer is read.
///
/// Design facts taken from AlpacaEval, not its text: the judge answers with a single letter, the answer's
/// log-probabilities are read where the endpoint gives them (a preference, not just a choice), and every
/// pair is judged in both orders so that a judge's liking for a position cancels out.
public enum JudgePrompt {
    /// Changes with the wording below, so that judgments asked in other words are not taken from the cache.
    public static let version = 1

    /// The system message: what the judge is asked to do, and to answer with one letter.
    public static let system = """
        You are a careful evaluator. You will see an instruction and two responses to it, labelled A and B. \
        Decide which response follows the instruction better: the one that does what was asked, is correct, \
        relevant and helpful, and is written clearly. Do not let the order of the responses or their length \
        decide for you. Reply with a single letter, A or B, and nothing else.
        """

    /// The chat messages that ask which of `first` (A) and `second` (B) follows `instruction` better.
    public static func messages(instruction: String, first: String, second: String) -> [ChatTurn] {
        let user = """
            Instruction:
            <instruction>
            \(instruction)
            </instruction>

            Response A:
            <response>
            \(first)
            </response>

            Response B:
            <response>
            \(second)
            </response>

            Which response follows the instruction better? Reply with A or B.
            """
        return [ChatTurn(role: "system", content: system), ChatTurn(role: "user", content: user)]
    }

    /// The probability the judge gives response A (the first) over B, or nil if the answer is neither.
    ///
    /// With log-probabilities: at the first answer token that reads as a letter, the probabilities of the
    /// alternatives that read "A" and "B", normalized over the two. Without them (or if neither letter is
    /// among that token's alternatives), the letter the text gives: 1 or 0.
    public static func firstProbability(_ answer: JudgeAnswer) -> Double? {
        for position in answer.tokens ?? [] where letter(position.token, wholeAnswer: false) != nil {
            var a = 0.0, b = 0.0
            for alternative in position.alternatives + [TokenAlternative(token: position.token, logProbability: position.logProbability)] {
                switch letter(alternative.token, wholeAnswer: false) {
                case "A": a = max(a, exp(alternative.logProbability))
                case "B": b = max(b, exp(alternative.logProbability))
                default: break
                }
            }
            if a + b > 0 { return a / (a + b) }
            break
        }
        return letter(answer.content, wholeAnswer: true).map { $0 == "A" ? 1 : 0 }
    }

    /// "A" or "B" if `text` reads as that choice: the letter alone, or with markup and punctuation around it
    /// ("**A**", "(B)", "A."), or after "Response"/"Answer:". A whole answer may go on after the letter
    /// ("A. It lists ..."); a lowercase letter counts only alone ("a", not "a good answer").
    static func letter(_ text: String, wholeAnswer: Bool) -> Character? {
        let skipped = CharacterSet.whitespacesAndNewlines.union(.punctuationCharacters).union(.symbols)
        var rest = Substring(text)
        func skip() { rest = rest.drop { $0.unicodeScalars.allSatisfy(skipped.contains) } }
        skip()
        for lead in ["response", "answer", "option"] where rest.lowercased().hasPrefix(lead) {
            rest = rest.dropFirst(lead.count)
            skip()
        }
        guard let first = rest.first, "ABab".contains(first) else { return nil }
        let after = rest.dropFirst()
        let alone = after.unicodeScalars.allSatisfy(skipped.contains)
        // "A" followed by a letter is a word ("Answer", "Both"), not a choice.
        if let next = after.first, next.isLetter || next.isNumber { return nil }
        if first.isLowercase && !alone { return nil }
        if !wholeAnswer && !alone { return nil }
        return Character(first.uppercased())
    }
}

/// One message of a chat request.
public struct ChatTurn: Sendable, Codable, Equatable {
    /// `system`, `user` or `assistant`.
    public var role: String
    /// The message's text.
    public var content: String

    /// A message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// What a judge endpoint answered: its text and, where it gives them, each answer token's log-probability
/// and its most likely alternatives.
public struct JudgeAnswer: Sendable, Codable, Equatable {
    /// The answer's text.
    public var content: String
    /// Each answer token with its log-probability and alternatives, where the endpoint gave them.
    public var tokens: [TokenPosition]?

    /// An answer.
    public init(content: String, tokens: [TokenPosition]? = nil) {
        self.content = content
        self.tokens = tokens
    }

    /// One token of the answer.
    public struct TokenPosition: Sendable, Codable, Equatable {
        /// The token's text.
        public var token: String
        /// Its log-probability.
        public var logProbability: Double
        /// The most likely tokens at its position.
        public var alternatives: [TokenAlternative]

        /// A token of an answer.
        public init(token: String, logProbability: Double, alternatives: [TokenAlternative]) {
            (self.token, self.logProbability, self.alternatives) = (token, logProbability, alternatives)
        }

        enum CodingKeys: String, CodingKey {
            case token, alternatives
            case logProbability = "logprob"
        }
    }
}

/// A token the judge could have written, with its log-probability.
public struct TokenAlternative: Sendable, Codable, Equatable {
    /// The token's text.
    public var token: String
    /// Its log-probability.
    public var logProbability: Double

    /// An alternative.
    public init(token: String, logProbability: Double) {
        (self.token, self.logProbability) = (token, logProbability)
    }

    enum CodingKeys: String, CodingKey {
        case token
        case logProbability = "logprob"
    }
}
