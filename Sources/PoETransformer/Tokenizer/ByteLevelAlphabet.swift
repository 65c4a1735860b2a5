/// GPT-2's byte-level alphabet: each byte as a printable character, so a BPE vocabulary can spell any
/// byte string in plain Unicode. Printable Latin-1 bytes stand for themselves; the 68 others take code
/// points from U+0100 on, in byte order (so a space, 0x20, is `Ġ`, U+0120, and a newline `Ċ`).
enum ByteLevelAlphabet {
    /// The UTF-8 encoding of each byte's character.
    static let encoded: [[UInt8]] = {
        var characters = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for byte in 0 ..< 256 {
            let printable = (0x21 ... 0x7E).contains(byte) || (0xA1 ... 0xAC).contains(byte) || (0xAE ... 0xFF).contains(byte)
            if printable {
                characters[byte] = UInt32(byte)
            } else {
                characters[byte] = next
                next += 1
            }
        }
        return characters.map { Array(String(Character(Unicode.Scalar($0)!)).utf8) }
    }()

    /// Code point → byte, the inverse.
    static let decoded: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (byte, utf8) in encoded.enumerated() {
            let scalar = String(decoding: utf8, as: UTF8.self).unicodeScalars.first!
            map[scalar.value] = UInt8(byte)
        }
        return map
    }()
}
