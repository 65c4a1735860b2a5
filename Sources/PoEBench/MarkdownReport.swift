/// `report.md`: the summary table, then every instruction's responses side by side.
public enum MarkdownReport {
    /// `report.md`: the settings, the summary table (and the judge's, if any), and each record; `command`,
    /// if given, is shown as the line that made the report.
    public static func render(_ report: BenchReport, command: String? = nil) -> String {
        var lines = ["# poe bench", "", report.headline + (report.complete ? "" : " (partial: the run was interrupted)"), ""]
        if let command { lines += ["```", command, "```", ""] }
        let columns = ReportColumn.all
        lines.append(summaryTable(report))
        lines += ["", "Columns (docs/bench.md defines each): " + columns.map { "**\($0.title)**: \($0.meaning)" }.joined(separator: "; ") + ".", ""]
        if let judge = report.judge {
            lines += ["## Judge", "", judgeTable(judge), "", JudgeColumns.note(judge), ""]
        }
        lines += ["## Responses", ""]
        for (index, instruction, records) in report.responsesByInstruction {
            lines += ["### \(index + 1). \(escape(instruction).replacingOccurrences(of: "<br>", with: " "))", ""]
            lines.append("| " + records.map { escape($0.ruleSet) }.joined(separator: " | ") + " |")
            lines.append("|" + records.map { _ in "---" }.joined(separator: "|") + "|")
            lines.append("| " + records.map(cell).joined(separator: " | ") + " |")
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }

    /// The summary table alone.
    public static func summaryTable(_ report: BenchReport) -> String {
        let columns = ReportColumn.all
        var lines = ["| rule set | responses | " + columns.map(\.title).joined(separator: " | ") + " |"]
        lines.append("|---|---:|" + columns.map { _ in "---:" }.joined(separator: "|") + "|")
        for summary in report.summary {
            let responses = summary.failed > 0 ? "\(summary.generated) (\(summary.failed) failed)" : "\(summary.generated)"
            lines.append("| \(escape(summary.ruleSet)) | \(responses) | " + columns.map { $0.cell(summary) }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    /// The judge's win rates, a row per comparison.
    public static func judgeTable(_ judge: JudgeResults) -> String {
        var lines = ["| rule set | against | " + JudgeColumns.titles.joined(separator: " | ") + " |"]
        lines.append("|---|---|" + JudgeColumns.titles.map { _ in "---:" }.joined(separator: "|") + "|")
        for rate in judge.winRates {
            lines.append("| \(escape(rate.ruleSet)) | \(escape(rate.against)) | " + JudgeColumns.cells(rate).joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    static func cell(_ record: BenchRecord) -> String {
        if let error = record.error { return "*failed: \(escape(error))*" }
        guard let text = record.text, let stop = record.stopReason else { return "*(not generated yet)*" }
        return "*\(stop.rawValue), \(record.tokens?.count ?? 0) tokens*<br>" + escape(text)
    }

    /// Text safe inside a table cell: pipes escaped, HTML-like tags defused, newlines as `<br>`.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "<br>")
    }
}
