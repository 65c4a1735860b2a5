import Foundation

/// How much memory the machine can still give, so that a request for more (a huge batch, a long context
/// for many sessions) fails with a sentence instead of a crash in an allocation or the kernel's
/// out-of-memory killer.
enum SystemMemory {
    /// Bytes available without swapping: `MemAvailable` from /proc/meminfo, or else the physical memory.
    static func available() -> Int {
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        {
            return kilobytes * 1024
        }
        return Int(ProcessInfo.processInfo.physicalMemory)
    }

    /// Throws `MemoryError` when `bytes` more would not fit.
    static func require(_ bytes: Int, for what: String) throws(MemoryError) {
        let available = available()
        guard bytes <= available else { throw MemoryError(what: what, needed: bytes, available: available) }
    }
}

/// A request for more memory than the machine has.
public struct MemoryError: Error, Equatable, CustomStringConvertible {
    /// What needed the memory.
    public let what: String
    /// Bytes needed.
    public let needed: Int
    /// Bytes the machine has available.
    public let available: Int

    public var description: String {
        "\(what) needs \(Self.format(needed)) of memory, but only \(Self.format(available)) is available"
    }

    static func format(_ bytes: Int) -> String {
        bytes >= 1 << 30 ? String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) : String(format: "%.0f MiB", Double(bytes) / Double(1 << 20))
    }
}

extension Transformer {
    /// Bytes a session's KV cache holds for `positions` positions: every position in a global layer; in a
    /// sliding-window layer, at most its window and a chunk of new tokens.
    public func cacheBytes(positions: Int) -> Int {
        let c = config
        let rows = c.layers.reduce(0) { $0 + min(positions, $1.window.map { $0 - 1 + TransformerSession.defaultChunkSize } ?? positions) }
        return rows * c.kvHeadCount * (c.headDimension + c.valueDimension) * kvCache.elementBytes
    }

    /// Bytes `sessions` sessions need to hold `positions` positions each and return one row of logits per
    /// step: their KV caches and the logits.
    public func memoryNeeded(sessions: Int, positions: Int) -> Int {
        let (caches, overflowA) = sessions.multipliedReportingOverflow(by: cacheBytes(positions: positions))
        let (logits, overflowB) = sessions.multipliedReportingOverflow(by: vocabulary.count * MemoryLayout<Float>.stride)
        return overflowA || overflowB ? .max : caches.addingReportingOverflow(logits).overflow ? .max : caches + logits
    }

    /// Throws `MemoryError` when `sessions` sessions of `positions` positions would not fit in memory.
    public func checkMemory(sessions: Int, positions: Int) throws(MemoryError) {
        try SystemMemory.require(
            memoryNeeded(sessions: sessions, positions: positions),
            for: "holding \(sessions) session\(sessions == 1 ? "" : "s") of \(positions) positions")
    }
}
