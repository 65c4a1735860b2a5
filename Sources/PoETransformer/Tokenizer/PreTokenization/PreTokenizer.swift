/// How a byte-level BPE vocabulary cuts text into words before merging, named by `tokenizer.ggml.pre`.
///
/// Each pre-tokenizer is a list of passes, as llama.cpp chains its regexes: every pass splits each piece
/// the previous passes left, on its own, so a piece's edges act like the ends of the text.
struct PreTokenizer: Sendable, Equatable {
    enum Pass: Sendable, Equatable {
        /// `[\p{P}\$\+<=>\^~\|]+`: runs of punctuation and those symbols.
        case punctuationRuns
        /// GPT-2's pattern (`splitGPT2`).
        case gpt2
        /// Llama 3's pattern, numbers in groups of up to `maxDigits` (`splitLlama3`).
        case llama3(maxDigits: Int)
        /// `\p{N}`: each number on its own.
        case eachNumber
        /// `\p{N}+`: runs of numbers.
        case numberRuns
        /// `[0-9][0-9][0-9]`: ASCII digits in threes, from the left.
        case asciiDigitTriples
    }

    let passes: [Pass]
    /// llama.cpp's `clean_spaces`: decoding removes a space before `?!.,` and some apostrophes.
    let cleansSpaces: Bool
    /// A word that is itself a token is taken whole, without merging (Llama 3).
    let ignoresMerges: Bool
    /// Whether the vocabulary adds BOS when the file does not say.
    let addsBOS: Bool

    private static let families: [(names: [String], passes: [Pass], cleansSpaces: Bool, ignoresMerges: Bool, addsBOS: Bool)] = [
        (["default", ""], [.punctuationRuns, .gpt2, .numberRuns, .asciiDigitTriples], true, false, false),
        (["gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
          "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "mpt", "olmo"], [.gpt2], true, false, false),
        (["llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano"],
         [.llama3(maxDigits: 3)], true, true, true),
        (["dbrx", "smaug-bpe", "chatglm-bpe"], [.llama3(maxDigits: 3)], true, false, false),
        (["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2"], [.llama3(maxDigits: 1)], false, false, false),
        (["stablelm2"], [.llama3(maxDigits: 1)], true, false, false),
        (["starcoder", "refact", "codeshell", "exaone"], [.eachNumber, .gpt2], true, false, false),
        (["smollm", "command-r"], [.eachNumber, .gpt2], false, false, false),
    ]

    static var supportedNames: [String] { families.flatMap(\.names).filter { !$0.isEmpty } }

    init(name: String) throws(TokenizerError) {
        guard let family = Self.families.first(where: { $0.names.contains(name) }) else {
            throw .unsupportedPreTokenizer(name)
        }
        (passes, cleansSpaces, ignoresMerges, addsBOS) = (family.passes, family.cleansSpaces, family.ignoresMerges, family.addsBOS)
    }

    /// The words of `text`, as ranges of its code points, in order and covering it.
    func split(_ text: ClassifiedText) -> [Range<Int>] {
        guard !text.scalars.isEmpty else { return [] }
        var ends = [text.scalars.count]
        for pass in passes {
            var next: [Int] = []
            var start = 0
            for end in ends {
                apply(pass, to: text, start ..< end, into: &next)
                start = end
            }
            ends = next
        }
        var start = 0
        return ends.map { end in
            defer { start = end }
            return start ..< end
        }
    }

    private func apply(_ pass: Pass, to text: ClassifiedText, _ range: Range<Int>, into ends: inout [Int]) {
        switch pass {
        case .gpt2: splitGPT2(text, range, into: &ends)
        case let .llama3(maxDigits): splitLlama3(text, range, maxDigits: maxDigits, into: &ends)
        case .punctuationRuns: splitMatches(range, into: &ends) { i in Self.runLength(text, i, range) { Self.isPunctuationOrSymbol(text, $0) } }
        case .numberRuns: splitMatches(range, into: &ends) { i in Self.runLength(text, i, range) { text.classes[$0].contains(.number) } }
        case .eachNumber: splitMatches(range, into: &ends) { i in text.classes[i].contains(.number) ? 1 : 0 }
        case .asciiDigitTriples:
            splitMatches(range, into: &ends) { i in
                i + 3 <= range.upperBound && (i ..< i + 3).allSatisfy { (0x30 ... 0x39).contains(text.scalars[$0].value) } ? 3 : 0
            }
        }
    }

    /// Splits `range` at the leftmost non-overlapping matches; `matchLength(i)` is the length of the
    /// match starting at `i` (0 for none). Matches and the gaps between them all become pieces.
    private func splitMatches(_ range: Range<Int>, into ends: inout [Int], matchLength: (Int) -> Int) {
        var i = range.lowerBound
        var pieceStart = range.lowerBound
        while i < range.upperBound {
            let length = matchLength(i)
            if length > 0 {
                if i > pieceStart { ends.append(i) }
                i += length
                ends.append(i)
                pieceStart = i
            } else {
                i += 1
            }
        }
        if range.upperBound > pieceStart { ends.append(range.upperBound) }
    }

    private static func runLength(_ text: ClassifiedText, _ start: Int, _ range: Range<Int>, _ member: (Int) -> Bool) -> Int {
        var end = start
        while end < range.upperBound, member(end) { end += 1 }
        return end - start
    }

    /// `[\p{P}\$\+<=>\^~\|]`: punctuation, and the ASCII symbols `$+<=>^~|` (not the backtick).
    private static func isPunctuationOrSymbol(_ text: ClassifiedText, _ i: Int) -> Bool {
        text.classes[i].contains(.punctuation) || "$+<=>^~|".unicodeScalars.contains(text.scalars[i])
    }
}
