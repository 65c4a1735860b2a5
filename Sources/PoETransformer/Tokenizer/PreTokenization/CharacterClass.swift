/// The classes of a code point that llama.cpp's pre-tokenizers test: Unicode general categories (`\p{L}`,
/// `\p{N}`, `\p{P}`, `\p{S}`, `\p{M}`) and Unicode's White_Space set (`\s`: U+0009-000D, U+0020, U+0085,
/// U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000).
struct CharacterClass: OptionSet, Sendable {
    let rawValue: UInt8

    static let letter = CharacterClass(rawValue: 1 << 0)
    static let number = CharacterClass(rawValue: 1 << 1)
    static let punctuation = CharacterClass(rawValue: 1 << 2)
    static let symbol = CharacterClass(rawValue: 1 << 3)
    static let mark = CharacterClass(rawValue: 1 << 4)
    static let whitespace = CharacterClass(rawValue: 1 << 5)
    /// Anything else: separators that are not white space, controls, format characters, unassigned.
    static let other = CharacterClass(rawValue: 1 << 6)

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(_ scalar: Unicode.Scalar) {
        if scalar.value < 128 {
            self = Self.ascii[Int(scalar.value)]
        } else {
            self = Self.classify(scalar)
        }
    }

    private static let ascii: [CharacterClass] = (0 ..< 128).map { classify(Unicode.Scalar(UInt8($0))) }

    private static func classify(_ scalar: Unicode.Scalar) -> CharacterClass {
        var result: CharacterClass
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: result = .letter
        case .decimalNumber, .letterNumber, .otherNumber: result = .number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: result = .punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: result = .symbol
        case .nonspacingMark, .spacingMark, .enclosingMark: result = .mark
        default: result = .other
        }
        if scalar.properties.isWhitespace { result.insert(.whitespace) }
        return result
    }
}

/// A run of text the pre-tokenizer works on: code points and their classes, indexed alike.
struct ClassifiedText {
    let scalars: [Unicode.Scalar]
    let classes: [CharacterClass]

    init(_ scalars: [Unicode.Scalar]) {
        self.scalars = scalars
        classes = scalars.map(CharacterClass.init)
    }
}
