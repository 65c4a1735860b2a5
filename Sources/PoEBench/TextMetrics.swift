/// The text measures of responses, defined in docs/bench.md. All work on words: maximal runs of letters
/// and digits, lowercased ("Don't stop!" is `don`, `t`, `stop`).
public enum TextMetrics {
    /// The words of `text`, lowercased.
    public static func words(_ text: String) -> [Substring] {
        let lowered = text.lowercased()
        return lowered.split { !($0.isLetter || $0.isNumber) }
    }

    /// Whether the response restates or re-asks the instruction: some k consecutive words of the
    /// instruction, k = min(6, its word count), appear consecutively in the response.
    public static func echoes(_ response: String, instruction: String) -> Bool {
        let asked = words(instruction), answered = words(response)
        let k = min(6, asked.count)
        guard k > 0, answered.count >= k else { return false }
        let windows = Set((0 ... answered.count - k).map { answered[$0 ..< $0 + k].joined(separator: " ") })
        return (0 ... asked.count - k).contains { windows.contains(asked[$0 ..< $0 + k].joined(separator: " ")) }
    }

    /// Role tags that open a chat turn in the common templates, anywhere in the text.
    public static let turnTags = [
        "<|user|>", "<|assistant|>", "<|system|>", "<|im_start|>", "<|im_end|>", "<start_of_turn>", "<end_of_turn>",
    ]
    /// Line openings that start another speaker's turn in plain-text dialogues.
    public static let turnOpenings = [
        "user:", "assistant:", "human:", "system:", "### instruction", "### response", "### human", "### assistant",
    ]

    /// Whether the response writes a role tag or starts another turn: it contains one of `turnTags`, or a
    /// line of it begins (after leading spaces, ignoring case) with one of `turnOpenings`.
    public static func leaksTurn(_ response: String) -> Bool {
        if turnTags.contains(where: response.contains) { return true }
        return response.split(separator: "\n").contains { line in
            let opening = line.drop { $0 == " " || $0 == "\t" }.lowercased()
            return turnOpenings.contains { opening.hasPrefix($0) }
        }
    }

    /// The share of the response's word 4-grams that repeat an earlier one: (total − distinct) / total;
    /// nil under four words.
    public static func selfRepetition(_ response: String) -> Double? {
        let grams = ngrams(words(response), 4)
        guard !grams.isEmpty else { return nil }
        return Double(grams.count - Set(grams).count) / Double(grams.count)
    }

    /// Distinct-2 (Li et al. 2016) of a set of responses: distinct word bigrams over all bigrams, counted
    /// across the set (bigrams do not cross responses); nil without any bigram.
    public static func distinct2(_ responses: [String]) -> Double? {
        let grams = responses.flatMap { ngrams(words($0), 2) }
        guard !grams.isEmpty else { return nil }
        return Double(Set(grams).count) / Double(grams.count)
    }

    static func ngrams(_ words: [Substring], _ n: Int) -> [String] {
        guard words.count >= n else { return [] }
        return (0 ... words.count - n).map { words[$0 ..< $0 + n].joined(separator: " ") }
    }
}
