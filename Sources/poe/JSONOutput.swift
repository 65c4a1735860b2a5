import Foundation

/// One value as a single line of JSON.
func jsonLine(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]  // the same bytes on every run
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
