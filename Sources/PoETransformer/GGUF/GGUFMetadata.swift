/// The key-value metadata of a GGUF file, in file order, with typed accessors that name the key on error.
public struct GGUFMetadata: Sendable {
    /// Every key, in the file's order.
    public private(set) var keys: [String] = []
    private var values: [String: GGUFValue] = [:]

    /// No keys.
    public init() {}

    /// Adds a key; false if the key was already there.
    mutating func insert(_ key: String, _ value: GGUFValue) -> Bool {
        guard values[key] == nil else { return false }
        keys.append(key)
        values[key] = value
        return true
    }

    /// The value of `key`, if the file has it.
    public subscript(key: String) -> GGUFValue? { values[key] }

    /// Whether the file has `key`.
    public func contains(_ key: String) -> Bool { values[key] != nil }

    // Optional accessors: nil when the key is absent, an error when it holds the wrong type.

    /// The integer at `key` (nil if absent); throws if it is not an integer that fits an `Int`.
    public func integer(_ key: String) throws(GGUFMetadataError) -> Int? {
        guard let value = values[key] else { return nil }
        guard let v = value.integer else { throw .wrongType(key: key, expected: "an integer", found: value.type) }
        return v
    }

    /// The number at `key` as a `Float` (nil if absent); throws if it is not a number.
    public func float(_ key: String) throws(GGUFMetadataError) -> Float? {
        guard let value = values[key] else { return nil }
        guard let v = value.number else { throw .wrongType(key: key, expected: "a number", found: value.type) }
        return Float(v)
    }

    /// The string at `key` (nil if absent); throws if it is not a string.
    public func string(_ key: String) throws(GGUFMetadataError) -> String? {
        guard let value = values[key] else { return nil }
        guard let v = value.string else { throw .wrongType(key: key, expected: "a string", found: value.type) }
        return v
    }

    /// The boolean at `key` (nil if absent); throws if it is not a boolean.
    public func bool(_ key: String) throws(GGUFMetadataError) -> Bool? {
        guard let value = values[key] else { return nil }
        guard let v = value.bool else { throw .wrongType(key: key, expected: "a bool", found: value.type) }
        return v
    }

    /// The array of strings at `key` (nil if absent); throws if it is anything else.
    public func strings(_ key: String) throws(GGUFMetadataError) -> [String]? {
        try array(key, of: "strings") { $0.string }
    }

    /// The array of numbers at `key` as `Float`s (nil if absent); throws if it is anything else.
    public func floats(_ key: String) throws(GGUFMetadataError) -> [Float]? {
        try array(key, of: "numbers") { $0.number.map(Float.init) }
    }

    /// The array of integers at `key` (nil if absent); throws if it is anything else.
    public func integers(_ key: String) throws(GGUFMetadataError) -> [Int]? {
        try array(key, of: "integers") { $0.integer }
    }

    private func array<T>(_ key: String, of what: String, _ convert: (GGUFValue) -> T?) throws(GGUFMetadataError) -> [T]? {
        guard let value = values[key] else { return nil }
        guard let elements = value.array else { throw .wrongType(key: key, expected: "an array of \(what)", found: value.type) }
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            guard let v = convert(element) else {
                throw .wrongElementType(key: key, index: index, expected: what, found: element.type)
            }
            result.append(v)
        }
        return result
    }

    // Required accessors.

    /// The integer at `key`; throws if it is absent or not an integer.
    public func requireInteger(_ key: String) throws(GGUFMetadataError) -> Int {
        guard let v = try integer(key) else { throw .missingKey(key) }
        return v
    }

    /// The string at `key`; throws if it is absent or not a string.
    public func requireString(_ key: String) throws(GGUFMetadataError) -> String {
        guard let v = try string(key) else { throw .missingKey(key) }
        return v
    }

    /// The number at `key`; throws if it is absent or not a number.
    public func requireFloat(_ key: String) throws(GGUFMetadataError) -> Float {
        guard let v = try float(key) else { throw .missingKey(key) }
        return v
    }
}

/// A metadata key that is missing or holds the wrong type.
public enum GGUFMetadataError: Error, Equatable, CustomStringConvertible {
    /// The key is not in the file.
    case missingKey(String)
    /// The key's value has another type.
    case wrongType(key: String, expected: String, found: GGUFValueType)
    /// An element of the key's array has another type.
    case wrongElementType(key: String, index: Int, expected: String, found: GGUFValueType)

    public var description: String {
        switch self {
        case let .missingKey(key): "the required metadata key '\(key)' is missing"
        case let .wrongType(key, expected, found): "metadata key '\(key)' should be \(expected) but is a \(found)"
        case let .wrongElementType(key, index, expected, found):
            "metadata key '\(key)' should be an array of \(expected) but element \(index) is a \(found)"
        }
    }
}
