/// The value types of GGUF metadata, with their numbering in the file.
public enum GGUFValueType: UInt32, Sendable, CustomStringConvertible {
    /// Numbers and booleans.
    case uint8 = 0, int8 = 1, uint16 = 2, int16 = 3, uint32 = 4, int32 = 5, float32 = 6, bool = 7
    /// Strings (length-prefixed UTF-8), arrays, and the 64-bit numbers.
    case string = 8, array = 9, uint64 = 10, int64 = 11, float64 = 12

    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .uint16: "uint16"
        case .int16: "int16"
        case .uint32: "uint32"
        case .int32: "int32"
        case .float32: "float32"
        case .bool: "bool"
        case .string: "string"
        case .array: "array"
        case .uint64: "uint64"
        case .int64: "int64"
        case .float64: "float64"
        }
    }

    /// The fewest bytes one value of this type occupies in a file (a string's or array's length prefix).
    var minimumSize: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64, .string: 8
        case .array: 12  // element type + count
        }
    }
}

/// One metadata value.
public enum GGUFValue: Sendable, Equatable {
    /// An integer of its width.
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    /// A 64-bit integer, a float, a boolean or a string.
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    /// Elements all of `elementType`; arrays can hold arrays.
    case array(elementType: GGUFValueType, values: [GGUFValue])

    /// The value's type in the file.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .uint64: .uint64
        case .int64: .int64
        case .float32: .float32
        case .float64: .float64
        case .bool: .bool
        case .string: .string
        case .array: .array
        }
    }

    /// The value as an `Int`, for any integer type whose value fits.
    public var integer: Int? {
        switch self {
        case let .uint8(v): Int(v)
        case let .int8(v): Int(v)
        case let .uint16(v): Int(v)
        case let .int16(v): Int(v)
        case let .uint32(v): Int(v)
        case let .int32(v): Int(v)
        case let .uint64(v): Int(exactly: v)
        case let .int64(v): Int(v)
        default: nil
        }
    }

    /// The value as a `Double`, for floating-point types and integers.
    public var number: Double? {
        switch self {
        case let .float32(v): Double(v)
        case let .float64(v): v
        default: integer.map(Double.init)
        }
    }

    /// The string, if this is one.
    public var string: String? {
        if case let .string(v) = self { v } else { nil }
    }

    /// The boolean, if this is one.
    public var bool: Bool? {
        if case let .bool(v) = self { v } else { nil }
    }

    /// The elements, if this is an array.
    public var array: [GGUFValue]? {
        if case let .array(_, values) = self { values } else { nil }
    }
}
