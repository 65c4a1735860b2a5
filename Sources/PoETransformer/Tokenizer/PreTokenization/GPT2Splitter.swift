/// GPT-2's pre-tokenizer,
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`, as llama.cpp's hand-written
/// `unicode_regex_split_custom_gpt2` runs it. It splits `range` of `text` and appends the pieces' ends.
func splitGPT2(_ text: ClassifiedText, _ range: Range<Int>, into ends: inout [Int]) {
    let scalars = text.scalars, classes = text.classes
    let end = range.upperBound
    func scalar(_ i: Int) -> UInt32? { i < end ? scalars[i].value : nil }
    func classOf(_ i: Int) -> CharacterClass { i < end ? classes[i] : [] }
    func isOther(_ c: CharacterClass) -> Bool { !c.isEmpty && c.isDisjoint(with: [.whitespace, .letter, .number]) }
    func add(_ i: Int) { if i > (ends.last ?? range.lowerBound), i > range.lowerBound { ends.append(i) } }

    var pos = range.lowerBound
    while pos < end {
        let c = scalars[pos].value
        // 's 't 'm 'd 're 've 'll (lower case only)
        if c == 0x27, let next = scalar(pos + 1) {
            if [0x73, 0x74, 0x6D, 0x64].contains(next) {  // s t m d
                add(pos + 2); pos += 2; continue
            }
            if let afterNext = scalar(pos + 2),
               (next == 0x72 && afterNext == 0x65) || (next == 0x76 && afterNext == 0x65) || (next == 0x6C && afterNext == 0x6C) {
                add(pos + 3); pos += 3; continue
            }
        }
        // An optional single space, then a run of letters, of numbers, or of other characters.
        let lead = c == 0x20 ? classOf(pos + 1) : classOf(pos)
        let runOf: ((CharacterClass) -> Bool)? =
            lead.contains(.letter) ? { $0.contains(.letter) }
            : lead.contains(.number) ? { $0.contains(.number) }
            : isOther(lead) ? isOther : nil
        if let inRun = runOf {
            if c == 0x20 { pos += 1 }
            while pos < end, inRun(classOf(pos)) { pos += 1 }
            add(pos)
            continue
        }
        // White space: all but the last of a run that something follows (\s+(?!\S)), else the whole run.
        var spaces = 0
        while classOf(pos + spaces).contains(.whitespace) { spaces += 1 }
        if spaces > 1, pos + spaces < end {
            pos += spaces - 1
        } else if spaces > 0 {
            pos += spaces
        } else {
            pos += 1
        }
        add(pos)
    }
}
