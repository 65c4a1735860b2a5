import Foundation

/// A problem in a rule-set file, and where: `"experts[1] (eosRamp): 'end' must be greater than 'start'"`.
struct RuleFileError: Error, CustomStringConvertible {
    let location: String
    let message: String

    init(location: String, message: String) {
        self.location = location
        self.message = message
    }

    /// The same for the JSON decoder's own errors (wrong types; syntax is checked before decoding, with
    /// `JSONSyntaxError`, which can say where).
    init(_ error: DecodingError) {
        switch error {
        case let .typeMismatch(type, context), let .valueNotFound(type, context):
            // A list element is named by its place (`experts[0]: should be an object`), a field by its name.
            if let last = context.codingPath.last, last.intValue == nil {
                location = path(context.codingPath.dropLast())
                message = "'\(last.stringValue)' should be \(describe(type))"
            } else {
                location = path(context.codingPath)
                message = "should be \(describe(type))"
            }
        case let .keyNotFound(key, context):
            location = path(context.codingPath)
            message = "the field '\(key.stringValue)' is missing"
        case let .dataCorrupted(context):
            location = path(context.codingPath)
            // Foundation on Linux reports a number that does not fit the type asked for this way, with
            // no path; every number here is decoded through `Fields`, so this is a last resort.
            message = context.codingPath.isEmpty ? "a value does not have the type its field needs" : context.debugDescription
        @unknown default:
            location = "the file"
            message = "\(error)"
        }
    }

    var description: String { "\(location): \(message)" }
}

/// A coding key for any field name.
struct AnyKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { stringValue = "\(intValue)"; self.intValue = intValue }
}

/// Where in the file a decoder is, as `experts[1]` or `experts[0].tokens[3]`.
func location(_ decoder: any Decoder) -> String { path(decoder.codingPath) }

private func path(_ keys: some Collection<any CodingKey>) -> String {
    guard !keys.isEmpty else { return "the rule set" }
    return keys.reduce("") { result, key in
        if let index = key.intValue { return result + "[\(index)]" }
        return result.isEmpty ? key.stringValue : result + "." + key.stringValue
    }
}

/// A type as a rule-file author knows it: JSON's words, never Swift's.
private func describe(_ type: Any.Type) -> String {
    switch type {
    case is String.Type: "a text"
    case is Float.Type, is Double.Type: "a number"
    case is Int.Type, is Int32.Type: "a whole number"
    case is Bool.Type: "true or false"
    case is [Any].Type, is any UnkeyedDecodingContainer.Type: "a list"
    default: String(describing: type).hasPrefix("Array") ? "a list" : "an object"
    }
}

func rejectUnknownKeys(_ container: KeyedDecodingContainer<AnyKey>, allowed: [String], decoder: any Decoder, what: String) throws {
    if let unknown = container.allKeys.first(where: { !allowed.contains($0.stringValue) }) {
        throw RuleFileError(location: what, message: "unknown field '\(unknown.stringValue)' (allowed: \(allowed.joined(separator: ", ")))")
    }
}

/// Typed fields with defaults and range checks, failing with the field's name.
struct Fields {
    let container: KeyedDecodingContainer<AnyKey>
    let location: String

    /// A number, checked as the 32-bit float it becomes: finite, within Float's range, and not so small
    /// that it would round to 0.
    func float(_ key: String, default fallback: Float?) throws -> Float {
        guard container.contains(AnyKey(key)) else {
            if let fallback { return fallback }
            throw RuleFileError(location: location, message: "the field '\(key)' is missing")
        }
        guard let value = try? container.decode(Double.self, forKey: AnyKey(key)), value.isFinite else {
            throw RuleFileError(location: location, message: "'\(key)' should be a finite number")
        }
        let single = Float(value)
        guard single.isFinite else {
            throw RuleFileError(location: location, message: "'\(key)' is \(value), beyond the range of a 32-bit float (±3.4e38)")
        }
        guard single != 0 || value == 0 else {
            throw RuleFileError(location: location, message: "'\(key)' is \(value), too small for a 32-bit float (it would be 0)")
        }
        return single
    }

    /// A whole number (decoded as a Double first: Foundation on Linux gives no path for `1.5` as an Int).
    func int(_ key: String, default fallback: Int?, minimum: Int) throws -> Int {
        guard container.contains(AnyKey(key)) else {
            if let fallback { return fallback }
            throw RuleFileError(location: location, message: "the field '\(key)' is missing")
        }
        guard let number = try? container.decode(Double.self, forKey: AnyKey(key)), number.rounded() == number,
              abs(number) < 9e15, let value = Int(exactly: number)
        else {
            throw RuleFileError(location: location, message: "'\(key)' should be a whole number")
        }
        guard value >= minimum else { throw RuleFileError(location: location, message: "'\(key)' must be \(minimum) or more, not \(value)") }
        return value
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, default fallback: T) throws -> T where T.RawValue == String {
        guard container.contains(AnyKey(key)) else { return fallback }
        let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
        guard let name = try? container.decode(String.self, forKey: AnyKey(key)), let value = T(rawValue: name) else {
            throw RuleFileError(location: location, message: "'\(key)' must be \(allowed)")
        }
        return value
    }

    func scope(default fallback: RepetitionPenalty.Scope) throws -> RepetitionPenalty.Scope {
        try container.decodeIfPresent(ScopeCoding.self, forKey: AnyKey("scope"))?.scope ?? fallback
    }
}
