/// Finds stop strings in streamed text, holding back any tail that could still become one.
struct StopStringMatcher {
    let stopStrings: [String]
    /// Text received but not yet released.
    private var pending = ""

    init(_ stopStrings: [String]) { self.stopStrings = stopStrings.filter { !$0.isEmpty } }

    /// Takes new text; returns what can be released and whether a stop string was found (the text before
    /// it is released, the rest dropped).
    mutating func receive(_ text: String) -> (release: String, stopped: Bool) {
        pending += text
        guard !stopStrings.isEmpty else { defer { pending = "" }; return (pending, false) }
        if let match = stopStrings.compactMap({ pending.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }) {
            defer { pending = "" }
            return (String(pending[..<match.lowerBound]), true)
        }
        // Hold back the longest tail that is the start of a stop string.
        var keep = 0
        for stop in stopStrings {
            for length in stride(from: min(stop.count - 1, pending.count), to: 0, by: -1) where pending.hasSuffix(stop.prefix(length)) {
                keep = max(keep, length)
                break
            }
        }
        let releaseEnd = pending.index(pending.endIndex, offsetBy: -keep)
        defer { pending = String(pending[releaseEnd...]) }
        return (String(pending[..<releaseEnd]), false)
    }

    /// Whatever is still held back, once no more text comes.
    mutating func flush() -> String {
        defer { pending = "" }
        return pending
    }
}
