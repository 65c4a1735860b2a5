import Foundation
import PoE
#if canImport(Glibc)
import Glibc
#endif

/// Writes a report's three files to a directory, each replaced atomically, so that the directory always
/// holds a complete, valid report (the last one written).
public struct ReportFiles: Sendable {
    /// The report's directory.
    public let directory: URL
    /// The command line, shown in the Markdown and HTML reports.
    public let command: String?

    /// Report files in `directory`.
    public init(directory: URL, command: String? = nil) {
        self.directory = directory
        self.command = command
    }

    /// `report.json`.
    public var json: URL { directory.appendingPathComponent("report.json") }
    /// `report.md`.
    public var markdown: URL { directory.appendingPathComponent("report.md") }
    /// `report.html`.
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
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(json.path)
        } catch {
            throw .report(path: json.path, reason: error.problem == .missing ? "there is no report.json there" : error.problem.description)
        }
        do {
            return try BenchReport.decode(Data(bytes))
        } catch {
            throw .report(path: json.path, reason: "it is not a report poe bench wrote (\(error))")
        }
    }

    /// Checks that a new report can go here: the path is a directory or nothing yet, and holds no report
    /// unless `replacing` says to overwrite it.
    public func checkNew(replacing: Bool) throws(BenchError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw .output(path: directory.path, reason: "it is a file, not a directory")
        }
        if !replacing, FileManager.default.fileExists(atPath: json.path) {
            throw .output(path: directory.path, reason: "it already holds a report; continue it with --resume \(directory.path), or pass --force to replace it")
        }
    }

    /// Makes the directory and takes its lock, which the returned object holds until it is released:
    /// two runs writing one report would overwrite each other's records.
    public func lock() throws(BenchError) -> ReportLock {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .output(path: directory.path, reason: "the directory cannot be made (\(error.localizedDescription))")
        }
        let path = directory.appendingPathComponent(".poe-bench.lock").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .output(path: directory.path, reason: "its lock file cannot be opened (\(String(cString: strerror(errno))))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .output(path: directory.path, reason: "another poe bench is writing this report")
        }
        return ReportLock(descriptor: descriptor)
    }
}

/// A report directory's lock, held while this object lives (and in any case until the process ends).
public final class ReportLock: Sendable {
    private let descriptor: Int32
    init(descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }
}
