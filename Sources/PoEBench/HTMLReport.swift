import Foundation

/// `report.html`: one self-contained page (no scripts, fonts or images from elsewhere) with the summary
/// table, a bar chart per measure and every instruction's responses side by side.
public enum HTMLReport {
    /// `report.html`: one self-contained page with the tables, charts of the measures (and of the judge's
    /// win rates, with their intervals) and every response; `command`, if given, is shown.
    public static func render(_ report: BenchReport, command: String? = nil) -> String {
        let columns = ReportColumn.all
        var body = "<h1>poe bench</h1>\n<p>\(escape(report.headline))\(report.complete ? "" : " <strong>(partial: the run was interrupted)</strong>")</p>\n"
        if let command { body += "<pre>\(escape(command))</pre>\n" }

        body += "<h2>Summary</h2>\n<table class=\"summary\"><thead><tr><th>rule set</th><th>responses</th>"
        body += columns.map { "<th title=\"\(escape($0.meaning))\">\(escape($0.title))</th>" }.joined()
        body += "</tr></thead><tbody>\n"
        for (i, summary) in report.summary.enumerated() {
            body += "<tr><td><span class=\"swatch\" style=\"background:\(color(i))\"></span>\(escape(summary.ruleSet))</td><td>\(summary.generated)\(summary.failed > 0 ? " (\(summary.failed) failed)" : "")</td>"
            body += columns.map { "<td>\(escape($0.cell(summary)))</td>" }.joined() + "</tr>\n"
        }
        body += "</tbody></table>\n"

        if let judge = report.judge { body += judgeSection(judge) }

        body += "<h2>Charts</h2>\n<div class=\"charts\">\n"
        for column in columns { body += chart(column, report.summary) }
        body += "</div>\n"

        body += "<h2>Responses</h2>\n"
        for (index, instruction, records) in report.responsesByInstruction {
            body += "<section><h3>\(index + 1). \(escape(instruction))</h3>\n<div class=\"side\" style=\"grid-template-columns: repeat(\(max(records.count, 1)), minmax(0, 1fr))\">\n"
            for record in records {
                let i = report.ruleSets.firstIndex { $0.name == record.ruleSet } ?? 0
                let meta = record.error.map { "failed: \($0)" }
                    ?? record.stopReason.map { "\($0.rawValue), \(record.tokens?.count ?? 0) tokens" } ?? "not generated yet"
                body += "<div class=\"response\"><div class=\"who\" style=\"border-color:\(color(i))\">\(escape(record.ruleSet)) <span>\(escape(meta))</span></div>"
                body += "<pre>\(escape(record.text ?? ""))</pre></div>\n"
            }
            body += "</div></section>\n"
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>poe bench: \(escape(report.configuration.model))</title>
            <style>\(style)</style></head>
            <body>
            \(body)</body></html>

            """
    }

    /// A horizontal bar per rule set; bars start at zero, or span the values' range when they are negative.
    static func chart(_ column: ReportColumn, _ summaries: [RuleSetSummary]) -> String {
        let values = summaries.map { column.value($0).flatMap { $0.isFinite ? $0 : nil } }
        let present = values.compactMap { $0 }
        let low = min(0, present.min() ?? 0), high = max(0, present.max() ?? 1)
        let span = high - low > 0 ? high - low : 1
        let labelWidth = 150.0, barWidth = 230.0, valueWidth = 80.0, rowHeight = 22.0
        let height = rowHeight * Double(max(summaries.count, 1)) + 8
        let zero = labelWidth + barWidth * (0 - low) / span
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + barWidth + valueWidth))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(column.title))\">"
        for (i, summary) in summaries.enumerated() {
            let y = 4 + rowHeight * Double(i)
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(escape(summary.ruleSet))</text>"
            if let value = values[i] {
                let end = labelWidth + barWidth * (value - low) / span
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%@\"/>", min(zero, end), y + 2, max(abs(end - zero), 1), color(i))
            }
            svg += "<text x=\"\(labelWidth + barWidth + 6)\" y=\"\(y + 15)\">\(escape(column.cell(summary)))</text>"
        }
        svg += "<line x1=\"\(zero)\" y1=\"0\" x2=\"\(zero)\" y2=\"\(height)\" stroke=\"#555\"/></svg>"
        let better = column.higherIsBetter.map { $0 ? " (higher is better)" : " (lower is better)" } ?? ""
        return "<figure><figcaption><b>\(escape(column.title))</b>: \(escape(column.meaning))\(better)</figcaption>\(svg)</figure>\n"
    }

    /// The win rates: a table, and a chart of each comparison's rate as a bar with its interval as a whisker,
    /// on a 0–100 % scale with the 50 % line marked.
    static func judgeSection(_ judge: JudgeResults) -> String {
        var html = "<h2>Judge</h2>\n<table class=\"summary\"><thead><tr><th>rule set</th><th>against</th>"
        html += JudgeColumns.titles.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for rate in judge.winRates {
            html += "<tr><td>\(escape(rate.ruleSet))</td><td>\(escape(rate.against))</td>" + JudgeColumns.cells(rate).map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n"
        }
        html += "</tbody></table>\n<p>\(escape(JudgeColumns.note(judge)))</p>\n"
        let labelWidth = 220.0, barWidth = 300.0, valueWidth = 130.0, rowHeight = 22.0
        let height = rowHeight * Double(max(judge.winRates.count, 1)) + 8
        func x(_ value: Double) -> Double { labelWidth + barWidth * min(1, max(0, value)) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + barWidth + valueWidth))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"win rates\">"
        for (i, rate) in judge.winRates.enumerated() {
            let y = 4 + rowHeight * Double(i)
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 15)\" text-anchor=\"end\">\(escape("\(rate.ruleSet) vs \(rate.against)"))</text>"
            if let value = rate.winRate {
                svg += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%@\"/>", labelWidth, y + 2, max(x(value) - labelWidth, 1), color(i))
            }
            if let bounds = rate.winRateInterval, bounds.count == 2 {
                svg += String(format: "<line class=\"interval\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" stroke-width=\"2\"/>", x(bounds[0]), y + 10, x(bounds[1]), y + 10)
                for end in bounds {
                    svg += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#222\" stroke-width=\"2\"/>", x(end), y + 5, x(end), y + 15)
                }
            }
            svg += "<text x=\"\(labelWidth + barWidth + 6)\" y=\"\(y + 15)\">\(escape(JudgeColumns.cells(rate)[0]))</text>"
        }
        svg += String(format: "<line x1=\"%.1f\" y1=\"0\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>", x(0.5), x(0.5), height)
        svg += "<line x1=\"\(labelWidth)\" y1=\"0\" x2=\"\(labelWidth)\" y2=\"\(height)\" stroke=\"#555\"/></svg>"
        return html + "<figure><figcaption><b>win rate</b>: with its bootstrap 95 % interval; the dashed line is 50 %</figcaption>\(svg)</figure>\n"
    }

    static func color(_ i: Int) -> String {
        ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"][i % 10]
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static let style = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
        table.summary { border-collapse: collapse; }
        table.summary th, table.summary td { border: 1px solid #ccc; padding: 4px 8px; text-align: right; }
        table.summary td:first-child, table.summary th:first-child { text-align: left; }
        .swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px 28px; }
        figure { margin: 0; } figcaption { font-size: 12px; max-width: 460px; }
        svg text { font: 12px system-ui, sans-serif; fill: #222; }
        .side { display: grid; gap: 10px; }
        .response { border: 1px solid #ddd; padding: 6px; min-width: 0; }
        .who { font-weight: bold; border-bottom: 3px solid; margin-bottom: 4px; }
        .who span { font-weight: normal; color: #666; font-size: 12px; }
        pre { white-space: pre-wrap; word-wrap: break-word; margin: 0; font: 13px/1.35 ui-monospace, monospace; }
        section { margin-bottom: 18px; }
        """
}
