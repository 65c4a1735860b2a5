import Foundation
import PoE
import PoEBench
import Testing

/// Reading a judge's answers, the win-rate statistics, the judgment file, and SHA-256.
@Suite struct JudgeReadingTests {
    @Test func lettersAreReadFromTheAnswersText() {
        for (text, expected) in [
            ("A", 1.0), ("B", 0.0), (" **B**", 0.0), ("(A)", 1.0), ("A.", 1.0), ("Response B", 0.0), ("Answer: A", 1.0),
            ("a", 1.0), ("B. It answers the question.", 0.0), ("\"A\"\n", 1.0),
        ] {
            #expect(JudgePrompt.firstProbability(JudgeAnswer(content: text)) == expected, "\(text)")
        }
        for text in ["", "Both", "a good answer", "As I see it, B", "I cannot decide", "AB", "A1"] {
            #expect(JudgePrompt.firstProbability(JudgeAnswer(content: text)) == nil, "\(text)")
        }
    }

    @Test func logProbabilitiesGiveAPreference() throws {
        func position(_ token: String, _ logprob: Double, _ alternatives: [(String, Double)]) -> JudgeAnswer.TokenPosition {
            .init(token: token, logProbability: logprob, alternatives: alternatives.map { TokenAlternative(token: $0.0, logProbability: $0.1) })
        }
        // The letters' probabilities at the first token that is a letter, normalized over the two.
        let answer = JudgeAnswer(content: "The answer is A", tokens: [
            position("The", -0.5, [("The", -0.5), ("A", -2)]),
            position(" answer", -0.1, []), position(" is", -0.1, []),
            position(" A", -0.2, [(" A", -0.2), (" B", -1.9), ("C", -3)]),
        ])
        let p = try #require(JudgePrompt.firstProbability(answer))
        #expect(abs(p - exp(-0.2) / (exp(-0.2) + exp(-1.9))) < 1e-12)
        // Only one letter among the alternatives: that letter, certainly.
        #expect(JudgePrompt.firstProbability(JudgeAnswer(content: "B", tokens: [position("B", -0.01, [("B", -0.01), ("C", -5)])])) == 0)
        // No letter in the tokens: the text decides.
        #expect(JudgePrompt.firstProbability(JudgeAnswer(content: "<response>", tokens: [position("<", -1, [("<", -1), ("A", -1.5)])])) == nil)
    }

    @Test func verdictsCombineBothOrders() {
        let win = PairVerdict(subjectFirst: 0.9, subjectSecond: 0.2, lengthDifference: 0)
        #expect(win.outcome == .win && abs(win.preference - 0.85) < 1e-12)
        #expect(PairVerdict(subjectFirst: 0.1, subjectSecond: 0.7, lengthDifference: 0).outcome == .loss)
        // The judge picked A both times: it went by position.
        let tie = PairVerdict(subjectFirst: 0.9, subjectSecond: 0.9, lengthDifference: 0)
        #expect(tie.outcome == .tie && abs(tie.preference - 0.5) < 1e-12)
    }

    @Test func winRatesHaveIntervalsAndControlForLength() throws {
        let verdicts = (0 ..< 40).map { i in PairVerdict(subjectFirst: i % 4 == 0 ? 0 : 1, subjectSecond: i % 4 == 0 ? 1 : 0, lengthDifference: 0) }
        let rate = WinRate(ruleSet: "paper", against: "reference", verdicts: verdicts, unparseable: 2, missing: 1)
        #expect(rate.winRate == 0.75 && rate.wins == 30 && rate.losses == 10 && rate.ties == 0 && rate.judged == 40)
        let interval = try #require(rate.winRateInterval)
        #expect(interval[0] < 0.75 && 0.75 < interval[1] && interval[0] > 0.55 && interval[1] < 0.9)
        // Equal lengths: nothing to control for.
        #expect(abs((rate.lengthControlledWinRate ?? 0) - 0.75) < 1e-6)
        // A judge that prefers whichever response is longer (P = σ(2·tanh(Δ/sd))), and a rule set whose
        // responses are longer 80 % of the time: a raw win rate well above one half, but at equal lengths
        // a coin toss.
        let deltas: [Double] = (0 ..< 50).map { (i: Int) -> Double in (i % 5 != 0 ? 1.0 : -1.0) * Double(40 + 7 * i) }
        let mean: Double = deltas.reduce(0, +) / Double(deltas.count)
        let squares: [Double] = deltas.map { ($0 - mean) * ($0 - mean) }
        let sd: Double = (squares.reduce(0, +) / Double(deltas.count)).squareRoot()
        let byLength = deltas.map { (delta: Double) -> PairVerdict in
            let p: Double = 1 / (1 + Foundation.exp(-2 * Foundation.tanh(delta / sd)))
            return PairVerdict(subjectFirst: p, subjectSecond: 1 - p, lengthDifference: delta)
        }
        let controlled = WinRate(ruleSet: "long", against: "reference", verdicts: byLength, unparseable: 0, missing: 0)
        #expect((controlled.winRate ?? 0) > 0.65)
        #expect(abs((controlled.lengthControlledWinRate ?? 0) - 0.5) < 0.01)
        #expect(WinRate(ruleSet: "x", against: "y", verdicts: [], unparseable: 3, missing: 0).winRate == nil)
    }

    @Test func judgmentsAreKeptAndACutLastLineIsDropped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("judgments-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        var store = try JudgmentStore(directory: directory)
        let answer = JudgeAnswer(content: "A", tokens: [.init(token: "A", logProbability: -.infinity, alternatives: [])])
        let judgment = Judgment(key: "k1", judgeModel: "m", index: 0, first: "paper", second: "reference", answer: answer)
        try store.add(judgment)
        try store.add(Judgment(key: "k2", judgeModel: "m", index: 1, first: "reference", second: "paper", answer: JudgeAnswer(content: "?")))
        #expect(try JudgmentStore(directory: directory).judgments == store.judgments)
        #expect(store.judgments["k2"]?.firstProbability == nil)
        let handle = try FileHandle(forWritingTo: store.url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"key\":\"k3\",\"ju".utf8))
        try handle.close()
        #expect(try JudgmentStore(directory: directory).judgments.count == 2)
        try Data("not json\n{}\n".utf8).write(to: store.url)
        #expect(throws: BenchError.self) { try JudgmentStore(directory: directory) }
    }

    @Test func keysNameTheJudgeTheTextsAndTheirOrder() {
        let key = Judgment.key(judgeModel: "m", instruction: "i", first: "x", second: "y")
        #expect(key != Judgment.key(judgeModel: "m", instruction: "i", first: "y", second: "x"))
        #expect(key != Judgment.key(judgeModel: "other", instruction: "i", first: "x", second: "y"))
        #expect(key == Judgment.key(judgeModel: "m", instruction: "i", first: "x", second: "y"))
    }

    @Test func sha256MatchesTheStandardsVectors() {
        // FIPS 180-4's examples (one block, two blocks) and the empty string.
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
