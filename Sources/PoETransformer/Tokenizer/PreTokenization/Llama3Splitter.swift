/// Llama 3's pre-tokenizer, as llama.cpp's hand-written `unicode_regex_split_custom_llama3` runs it:
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
///
/// With `maxDigits` 1 it is also Qwen2's, whose pattern differs only in taking one digit at a time
/// (llama.cpp runs that one through std::regex on text reduced to character classes, to the same effect).
func splitLlama3(_ text: ClassifiedText, _ range: Range<Int>, maxDigits: Int, into ends: inout [Int]) {
    let scalars = text.scalars, classes = text.classes
    let end = range.upperBound
    func scalar(_ i: Int) -> UInt32? { i < end ? scalars[i].value : nil }
    func lowercased(_ i: Int) -> UInt32? {
        guard i < end else { return nil }
        return scalars[i].properties.lowercaseMapping.unicodeScalars.first?.value
    }
    func classOf(_ i: Int) -> CharacterClass { i < end ? classes[i] : [] }
    func isOther(_ c: CharacterClass) -> Bool { !c.isEmpty && c.isDisjoint(with: [.whitespace, .letter, .number]) }
    func isLineBreak(_ v: UInt32?) -> Bool { v == 0x0D || v == 0x0A }
    func add(_ i: Int) { if i > (ends.last ?? range.lowerBound), i > range.lowerBound { ends.append(i) } }

    var pos = range.lowerBound
    while pos < end {
        let c = scalars[pos].value
        let here = classes[pos]
        // 's 't 'm 'd 're 've 'll, any case
        if c == 0x27, let next = lowercased(pos + 1) {
            if [0x73, 0x74, 0x6D, 0x64].contains(next) {
                add(pos + 2); pos += 2; continue
            }
            if let afterNext = lowercased(pos + 2),
               (next == 0x72 && afterNext == 0x65) || (next == 0x76 && afterNext == 0x65) || (next == 0x6C && afterNext == 0x6C) {
                add(pos + 3); pos += 3; continue
            }
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if !isLineBreak(c), !here.contains(.number), here.contains(.letter) || classOf(pos + 1).contains(.letter) {
            pos += 1
            while classOf(pos).contains(.letter) { pos += 1 }
            add(pos)
            continue
        }
        // \p{N}{1,maxDigits}
        if here.contains(.number) {
            var start = pos
            while classOf(pos).contains(.number) {
                pos += 1
                if pos - start >= maxDigits {
                    add(pos)
                    start = pos
                }
            }
            add(pos)
            continue
        }
        // ' '?[^\s\p{L}\p{N}]+[\r\n]*
        var next = c == 0x20 ? classOf(pos + 1) : here
        if isOther(next), !here.isEmpty {
            if c == 0x20 { pos += 1 }
            while isOther(next) {
                pos += 1
                next = classOf(pos)
            }
            while isLineBreak(scalar(pos)) { pos += 1 }
            add(pos)
            continue
        }
        // \s*[\r\n]+ (up to the last line break of the run), then \s+(?!\S), then \s+
        var spaces = 0
        var afterLastBreak = 0
        while classOf(pos + spaces).contains(.whitespace) {
            if isLineBreak(scalar(pos + spaces)) { afterLastBreak = pos + spaces + 1 }
            spaces += 1
        }
        if afterLastBreak > 0 {
            pos = afterLastBreak
        } else if spaces > 1, pos + spaces < end {
            pos += spaces - 1
        } else if spaces > 0 {
            pos += spaces
        } else {
            pos += 1
        }
        add(pos)
    }
}
