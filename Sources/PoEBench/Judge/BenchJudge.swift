import Foundation

/// What a judge compares: a rule set's responses against the references, or against another rule set's.
public struct JudgeComparison: Sendable, Equatable, CustomStringConvertible {
    /// The rule set judged.
    public var ruleSet: String
    /// The other rule set; nil for the references.
    public var against: String?

    /// `ruleSet` against `against` (nil: the references).
    public init(ruleSet: String, against: String? = nil) {
        self.ruleSet = ruleSet
        self.against = against
    }

    /// `a:b` (a against b).
    public init(pair: String) throws(BenchError) {
        let parts = pair.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[0] != parts[1] else {
            throw .option("judge pair '\(pair)' is not two different rule sets' names as a:b")
        }
        self.init(ruleSet: parts[0], against: parts[1])
    }

    public var description: String { "\(ruleSet) against \(against ?? "the references")" }
}

/// Judges a report's responses: both orders of every pair a comparison needs, those not in the store asked
/// of the judge, a few at a time, each answer stored as it comes.
public struct BenchJudge: Sendable {
    /// The judge asked.
    public let judge: any Judge
    /// Questions asked at once.
    public let concurrency: Int
    /// Consecutive failed questions (after their retries) after which the judge is given up on.
    public let failureLimit: Int

    /// Judging with `judge`, `concurrency` questions at a time.
    public init(judge: any Judge, concurrency: Int = 4, failureLimit: Int = 8) {
        self.judge = judge
        self.concurrency = max(1, concurrency)
        self.failureLimit = max(1, failureLimit)
    }

    /// A question to ask: an instruction and two texts, in order.
    struct Question: Sendable {
        let key: String
        let index: Int
        let first: (name: String, text: String)
        let second: (name: String, text: String)
        let instruction: String
    }

    /// The outcome of a judging run: the win rates, and the questions that failed after their retries.
    public struct Outcome: Sendable {
        /// The win rates.
        public var results: JudgeResults
        /// The questions that failed after their retries, one sentence each.
        public var failures: [String]
        /// Questions asked of the judge in this run (the rest came from the store).
        public var asked: Int
    }

    /// Judges `comparisons` on `report` (whose instructions, with their references, are `instructions`),
    /// asking what `store` does not hold. `progress(done, total)` is told as questions are answered.
    public func judge(
        _ report: BenchReport, instructions: [BenchInstruction], comparisons: [JudgeComparison], store: inout JudgmentStore,
        progress: (Int, Int) -> Void = { _, _ in }
    ) async throws -> Outcome {
        let names = Set(report.ruleSets.map(\.name))
        for comparison in comparisons {
            for name in [comparison.ruleSet] + (comparison.against.map { [$0] } ?? []) where !names.contains(name) {
                throw BenchError.judge("\(comparison) names '\(name)', which is not one of the report's rule sets (\(report.ruleSets.map(\.name).joined(separator: ", ")))")
            }
        }
        let model = judge.model
        var questions: [String: Question] = [:]
        var pairs: [[(index: Int, keys: (String, String)?, lengthDifference: Double)]] = []
        for comparison in comparisons {
            var rows: [(Int, (String, String)?, Double)] = []
            for index in instructions.indices {
                // A shard's report holds only some of the rule set's records; the others are not its to judge.
                guard let subject = report.records.first(where: { $0.ruleSet == comparison.ruleSet && $0.index == index }) else { continue }
                let other: (name: String, text: String?) = if let against = comparison.against {
                    (against, report.records.first { $0.ruleSet == against && $0.index == index }.flatMap { $0.isFailed ? nil : $0.text })
                } else {
                    ("reference", instructions[index].reference)
                }
                guard let subjectText = subject.isFailed ? nil : subject.text, let otherText = other.text else {
                    rows.append((index, nil, 0))
                    continue
                }
                let instruction = instructions[index].instruction
                let one = Question(
                    key: Judgment.key(judgeModel: model, instruction: instruction, first: subjectText, second: otherText),
                    index: index, first: (comparison.ruleSet, subjectText), second: (other.name, otherText), instruction: instruction)
                let two = Question(
                    key: Judgment.key(judgeModel: model, instruction: instruction, first: otherText, second: subjectText),
                    index: index, first: (other.name, otherText), second: (comparison.ruleSet, subjectText), instruction: instruction)
                questions[one.key] = one
                questions[two.key] = two
                rows.append((index, (one.key, two.key), Double(subjectText.count - otherText.count)))
            }
            pairs.append(rows)
        }

        let todo = questions.values.filter { store.judgments[$0.key] == nil }.sorted { ($0.index, $0.first.name, $0.key) < ($1.index, $1.first.name, $1.key) }
        var failures: [String: String] = [:]
        var done = 0, consecutiveFailures = 0
        progress(0, todo.count)
        try await withThrowingTaskGroup(of: (Question, Result<JudgeAnswer, JudgeError>).self) { group in
            var next = todo.makeIterator()
            func start() {
                guard let question = next.next() else { return }
                group.addTask { [judge] in
                    let messages = JudgePrompt.messages(instruction: question.instruction, first: question.first.text, second: question.second.text)
                    do {
                        return (question, .success(try await judge.ask(messages)))
                    } catch let error as JudgeError {
                        return (question, .failure(error))
                    }
                }
            }
            for _ in 0 ..< concurrency { start() }
            while let (question, result) = try await group.next() {
                switch result {
                case let .success(answer):
                    try store.add(Judgment(key: question.key, judgeModel: model, index: question.index, first: question.first.name, second: question.second.name, answer: answer))
                    consecutiveFailures = 0
                case let .failure(error):
                    failures[question.key] = "instruction \(question.index + 1), \(question.first.name) then \(question.second.name): \(error.description)"
                    consecutiveFailures += 1
                    if consecutiveFailures >= failureLimit {
                        group.cancelAll()
                        throw BenchError.judge("the judge failed \(consecutiveFailures) questions in a row; the last: \(error.description)")
                    }
                }
                done += 1
                progress(done, todo.count)
                start()
            }
        }

        var winRates: [WinRate] = []
        for (comparison, rows) in zip(comparisons, pairs) {
            var verdicts: [PairVerdict] = [], unparseable = 0, missing = 0
            for row in rows {
                guard let (one, two) = row.keys, let first = store.judgments[one], let second = store.judgments[two] else {
                    missing += 1
                    continue
                }
                guard let p1 = first.firstProbability, let p2 = second.firstProbability else {
                    unparseable += 1
                    continue
                }
                verdicts.append(PairVerdict(subjectFirst: p1, subjectSecond: p2, lengthDifference: row.lengthDifference))
            }
            winRates.append(WinRate(ruleSet: comparison.ruleSet, against: comparison.against ?? "reference", verdicts: verdicts, unparseable: unparseable, missing: missing))
        }
        let results = JudgeResults(model: model, url: judge.location, winRates: winRates)
        return Outcome(results: results, failures: failures.values.sorted(), asked: done)
    }
}
