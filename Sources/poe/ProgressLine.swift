import Foundation
import PoEBench

/// A progress bar on standard error: redrawn in place on a terminal (at most five times a second), a
/// plain line every ten seconds otherwise.
final class ProgressLine {
    private let terminal = isatty(STDERR_FILENO) == 1
    private var lastDraw: ContinuousClock.Instant?
    private var drawn = false

    func show(_ p: BenchProgress) {
        let now = ContinuousClock.now
        let finished = p.done == p.total
        if let lastDraw, !finished, now - lastDraw < (terminal ? .milliseconds(200) : .seconds(10)) { return }
        lastDraw = now
        let width = 24
        let filled = p.total > 0 ? width * p.done / p.total : width
        var line = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] \(p.done)/\(p.total) · \(p.phase)"
        if p.elapsedSeconds > 0, p.generatedTokens > 0 {
            line += String(format: " · %.1f tok/s", Double(p.generatedTokens) / p.elapsedSeconds)
        }
        if p.doneHere > 0, !finished {
            let eta = p.elapsedSeconds / Double(p.doneHere) * Double(p.total - p.done)
            line += " · ETA " + Self.duration(eta)
        }
        try? FileHandle.standardError.write(contentsOf: Data((terminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
        drawn = true
    }

    /// Ends the line (on a terminal).
    func end() {
        if terminal, drawn { try? FileHandle.standardError.write(contentsOf: Data("\n".utf8)) }
        drawn = false
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
