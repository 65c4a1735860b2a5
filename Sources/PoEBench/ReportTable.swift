import Foundation

/// The summary table's columns, shared by the Markdown and HTML reports.
struct ReportColumn: Sendable {
    let title: String
    /// What the column means, for the reports' notes.
    let meaning: String
    let value: @Sendable (RuleSetSummary) -> Double?
    let format: @Sendable (Double) -> String
    /// Which way is better, for the charts' captions (nil: neither).
    let higherIsBetter: Bool?

    static let all: [ReportColumn] = [
        ReportColumn(title: "termination", meaning: "share of responses ended by an end-of-generation token", value: \.terminationRate, format: percent, higherIsBetter: true),
        ReportColumn(title: "mean length", meaning: "mean response length in tokens", value: \.meanLength, format: { String(format: "%.1f", $0) }, higherIsBetter: nil),
        ReportColumn(title: "median length", meaning: "median response length in tokens", value: \.medianLength, format: { String(format: "%.1f", $0) }, higherIsBetter: nil),
        ReportColumn(title: "echo", meaning: "share of responses restating the instruction", value: \.echoRate, format: percent, higherIsBetter: false),
        ReportColumn(title: "turn leak", meaning: "share of responses writing a role tag or another turn", value: \.turnLeakRate, format: percent, higherIsBetter: false),
        ReportColumn(title: "self-repetition", meaning: "mean share of repeated word 4-grams", value: \.selfRepetition, format: { String(format: "%.3f", $0) }, higherIsBetter: false),
        ReportColumn(title: "distinct-2", meaning: "distinct word bigrams over all bigrams", value: \.distinct2, format: { String(format: "%.3f", $0) }, higherIsBetter: true),
        ReportColumn(title: "reference log-lik.", meaning: "mean per-token log-probability of the reference responses", value: \.referenceLogLikelihood, format: { String(format: "%.3f", $0) }, higherIsBetter: true),
        ReportColumn(title: "tokens/s", meaning: "generated tokens per second of wall-clock time", value: \.tokensPerSecond, format: { String(format: "%.1f", $0) }, higherIsBetter: nil),
    ]

    static func percent(_ value: Double) -> String { String(format: "%.1f %%", 100 * value) }

    func cell(_ summary: RuleSetSummary) -> String {
        guard let value = value(summary) else { return "–" }
        return value.isFinite ? format(value) : (value < 0 ? "−∞" : "∞")
    }
}

/// The judge table's columns, shared by the Markdown and HTML reports.
enum JudgeColumns {
    static let titles = ["win rate", "95 % interval", "length-controlled", "wins / ties / losses", "unparseable", "missing"]

    static func cells(_ rate: WinRate) -> [String] {
        func percent(_ value: Double?) -> String { value.map(ReportColumn.percent) ?? "–" }
        func interval(_ bounds: [Double]?) -> String {
            guard let bounds, bounds.count == 2 else { return "–" }
            return String(format: "%.1f–%.1f %%", 100 * bounds[0], 100 * bounds[1])
        }
        return [
            percent(rate.winRate), interval(rate.winRateInterval), percent(rate.lengthControlledWinRate),
            "\(rate.wins) / \(rate.ties) / \(rate.losses)", "\(rate.unparseable)", "\(rate.missing)",
        ]
    }

    static func note(_ judge: JudgeResults) -> String {
        "Judge: \(judge.model) at \(judge.url), prompt version \(judge.promptVersion). Each pair is judged in both orders; "
            + "the win rate is the mean preference for the rule set's response, with a bootstrap 95 % interval over "
            + "instructions; a tie is a pair whose two orders chose differently (docs/bench.md)."
    }
}

extension BenchReport {
    /// One line on what was run.
    var headline: String {
        let c = configuration
        let limit = c.limit.map { ", first \($0)" } ?? ""
        let part = shard.map { ", shard \($0)" } ?? ""
        return "\(c.model) on \((c.instructions as NSString).lastPathComponent)\(limit)\(part): template \(c.template), at most \(c.maxTokens) tokens"
    }

    /// The instructions, in order, each with every rule set's record.
    var responsesByInstruction: [(index: Int, instruction: String, records: [BenchRecord])] {
        let indices = Set(records.map(\.index)).sorted()
        return indices.map { index in
            let row = ruleSets.compactMap { entry in records.first { $0.ruleSet == entry.name && $0.index == index } }
            return (index, row.first?.instruction ?? "", row)
        }
    }
}
