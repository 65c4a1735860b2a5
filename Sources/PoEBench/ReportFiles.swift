import Foundation

/// Writes a report's three files to a directory, each replaced atomically, so that the directory always
/// holds a complete, valid report (the last one written).
public struct ReportFiles: Sendable {
    public let directory: URL
    /// The command line, shown in the Markdown and HTML reports.
    public let command: String?

    public init(directory: URL, command: String? = nil) {
        self.directory = directory
        self.command = command
    }

    public var json: URL { directory.appendingPathComponent("report.json") }
    public var markdown: URL { directory.appendingPathComponent("report.md") }
    public var html: URL { directory.appendingPathComponent("report.html") }

    /// Writes the three files, with the summary brought up to date from the records.
    public func write(_ report: BenchReport) throws {
        var report = report
        report.summarize()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try report.encoded().write(to: json, options: .atomic)
        try Data(MarkdownReport.render(report, command: command).utf8).write(to: markdown, options: .atomic)
        try Data(HTMLReport.render(report, command: command).utf8).write(to: html, options: .atomic)
    }

    /// The report a previous run left here.
    public func read() throws(BenchError) -> BenchReport {
        guard let data = FileManager.default.contents(atPath: json.path) else {
            throw .report(path: json.path, reason: "there is no report.json there")
        }
        do {
            return try BenchReport.decode(data)
        } catch {
            throw .report(path: json.path, reason: "it is not a report poe bench wrote (\(error))")
        }
    }
}
