import Foundation
import PoE
#if canImport(Glibc)
import Glibc
#endif

/// `poe distill`'s output: the records, one JSON line each, appended as they finish (so an interruption
/// loses only what was being generated), and beside them `<out>.state.json`, the settings and the passages
/// that gave no record. Together they say which passages are done, which is how `--resume` continues.
public final class DistillOutput {
    /// The records' file.
    public let path: String
    /// The run's settings.
    public let settings: DistillSettings
    /// Source indices with a record or a skip.
    public private(set) var done: Set<Int>
    /// Passages that gave no record.
    public private(set) var skipped: [DistillSkip]
    /// Records written.
    public private(set) var records: Int
    private let descriptor: Int32

    /// `<out>.state.json`.
    public var statePath: String { Self.statePath(path) }
    static func statePath(_ path: String) -> String { path + ".state.json" }

    private init(path: String, settings: DistillSettings, descriptor: Int32, done: Set<Int>, skipped: [DistillSkip], records: Int) {
        (self.path, self.settings, self.descriptor, self.done, self.skipped, self.records) = (path, settings, descriptor, done, skipped, records)
    }

    deinit { close(descriptor) }

    /// A new output file; an existing one is refused unless `replacing`.
    public static func create(path: String, settings: DistillSettings, replacing: Bool) throws(DistillError) -> DistillOutput {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw .output(path: path, reason: "is a directory; give a file name") }
            if !replacing { throw .output(path: path, reason: "already exists; continue it with --resume, or pass --force to replace it") }
        }
        let descriptor = try open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        let output = DistillOutput(path: path, settings: settings, descriptor: descriptor, done: [], skipped: [], records: 0)
        try output.saveState()
        return output
    }

    /// The output a run left: its records are read (a line cut off by a kill is dropped), and its settings
    /// must be `settings`.
    public static func resume(path: String, settings: DistillSettings) throws(DistillError) -> DistillOutput {
        let stateBytes: [UInt8]
        do {
            stateBytes = try FileContents.read(statePath(path))
        } catch {
            throw .output(path: path, reason: "cannot be resumed: its state file \(statePath(path)) \(error.problem)")
        }
        guard let state = try? JSONDecoder().decode(DistillState.self, from: Data(stateBytes)) else {
            throw .output(path: statePath(path), reason: "is not a state file poe distill wrote")
        }
        if state.settings != settings {
            throw .output(path: path, reason: "was made with other settings (\(Self.difference(state.settings, settings))); run it again with them, or start anew with --force")
        }
        let bytes: [UInt8]
        do {
            bytes = try FileContents.read(path)
        } catch {
            throw .output(path: path, reason: error.problem.description)
        }
        // Each record is written with its newline in one write: text after the last newline is a line cut
        // off by a kill, dropped here (its passage is done again).
        let whole = bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        var done = Set(state.skipped.map(\.sourceIndex)), records = 0
        for line in bytes[..<whole].split(separator: UInt8(ascii: "\n")) {
            guard let record = try? JSONDecoder().decode(DistillRecord.self, from: Data(line)) else {
                throw .output(path: path, reason: "line \(records + 1) is not a record poe distill wrote")
            }
            guard (0 ..< settings.passages).contains(record.sourceIndex), done.insert(record.sourceIndex).inserted else {
                throw .output(path: path, reason: "line \(records + 1) repeats passage \(record.sourceIndex) or names one the corpus does not have")
            }
            records += 1
        }
        let descriptor = try open(path, flags: O_WRONLY)
        // Drop a torn last line, then append after the whole ones.
        guard ftruncate(descriptor, off_t(whole)) == 0, lseek(descriptor, 0, SEEK_END) >= 0 else {
            close(descriptor)
            throw .output(path: path, reason: "cannot be written (\(String(cString: strerror(errno))))")
        }
        return DistillOutput(path: path, settings: settings, descriptor: descriptor, done: done, skipped: state.skipped, records: records)
    }

    /// Appends a record (one write of one line).
    public func append(_ record: DistillRecord) throws(DistillError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let line = try? encoder.encode(record) else { throw .output(path: path, reason: "a record could not be encoded") }
        let bytes = Array(line) + [UInt8(ascii: "\n")]
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw .output(path: path, reason: "cannot be written (\(String(cString: strerror(errno))))") }
            written += n
        }
        done.insert(record.sourceIndex)
        records += 1
    }

    /// Notes a passage that gave no record.
    public func skip(_ skip: DistillSkip) throws(DistillError) {
        skipped.append(skip)
        done.insert(skip.sourceIndex)
        try saveState()
    }

    /// Writes the state file (atomically).
    public func saveState() throws(DistillError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(DistillState(settings: settings, skipped: skipped.sorted { $0.sourceIndex < $1.sourceIndex }))
                .write(to: URL(fileURLWithPath: statePath), options: .atomic)
        } catch {
            throw .output(path: statePath, reason: "cannot be written (\(error.localizedDescription))")
        }
    }

    private static func open(_ path: String, flags: Int32) throws(DistillError) -> Int32 {
        let descriptor = Glibc.open(path, flags | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .output(path: path, reason: "cannot be opened (\(String(cString: strerror(errno))))") }
        // Two runs appending to one file would interleave their records.
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .output(path: path, reason: "another poe distill is writing it")
        }
        return descriptor
    }

    /// The first setting that differs, in words.
    private static func difference(_ recorded: DistillSettings, _ given: DistillSettings) -> String {
        func fields(_ settings: DistillSettings) -> [(String, String)] {
            Mirror(reflecting: settings).children.map { child in
                let text = "\(child.value)"
                return (child.label ?? "?", text.hasPrefix("Optional(") ? String(text.dropFirst(9).dropLast()) : text)
            }
        }
        for ((label, old), (_, new)) in zip(fields(recorded), fields(given)) where old != new { return "\(label) was \(old), now \(new)" }
        return "they differ"
    }
}

/// `<out>.state.json`.
struct DistillState: Codable {
    var settings: DistillSettings
    var skipped: [DistillSkip]
}
