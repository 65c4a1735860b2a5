import Foundation

/// A failure found while a command runs, as one sentence on stderr (no usage text: the arguments were
/// fine, the input or the machine was not).
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes text to standard output; a failure (a full disk) is an error, not a crash.
func writeStandardOutput(_ text: String) throws {
    try FileHandle.standardOutput.write(contentsOf: Data(text.utf8))
}
