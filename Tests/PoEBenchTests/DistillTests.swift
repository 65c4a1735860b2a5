import Foundation
import PoE
import PoEBench
import PoETestSupport
import Testing

@Suite struct DistillCorpusTests {
    func parse(_ text: String) throws(DistillError) -> [String] { try DistillCorpus.parse(Array(text.utf8), path: "c.txt") }

    @Test func plainTextPassagesAreSeparatedByBlankLines() throws {
        #expect(try parse("One line.\nTwo lines.\n\n  \nThird\r\n\r\nlast") == ["One line.\nTwo lines.", "Third", "last"])
    }

    @Test func jsonLinesTakeTheTextField() throws {
        #expect(try parse("{\"text\": \"a b\", \"url\": 1}\n\n{\"text\": \"c\"}\r\n") == ["a b", "c"])
        #expect(throws: DistillError.corpus(path: "c.txt", line: 2, reason: "has no string 'text' field")) { try parse("{\"text\": \"a\"}\n{\"body\": \"b\"}") }
        #expect(throws: DistillError.corpus(path: "c.txt", line: 1, reason: "is not valid JSON at column 10 (invalid value)")) { try parse("{\"text\": x}") }
        #expect(throws: DistillError.corpus(path: "c.txt", line: nil, reason: "holds no passages")) { try parse("\n \n") }
    }
}

@Suite struct PassageSplitterTests {
    let tokenizer = TableModel().tokenizer

    /// The first half is a prefix of the passage ending at a whole word, near half the tokens; the rest
    /// follows it after the white space at the cut.
    @Test func halvesAtAWordBoundary() throws {
        let splitter = PassageSplitter(tokenizer: tokenizer, minimumTokens: 4)
        let passage = "the cat sat on the mat and then it slept all day long"
        let split = try #require(try splitter.split(passage))
        #expect(passage.hasPrefix(split.instruction) && !split.instruction.hasSuffix(" "))
        #expect(split.instruction + " " + split.rest == passage)
        #expect(abs(split.instruction.count - passage.count / 2) <= 4, "\(split.instruction)")
        #expect(split.passageTokens == passage.count)
    }

    @Test func shortPassagesAndPassagesWithoutSpaces() throws {
        let splitter = PassageSplitter(tokenizer: tokenizer, minimumTokens: 10)
        #expect(try splitter.split("too short") == nil)
        #expect(try splitter.split("nospacesinthislongpassageatall") == nil)
        #expect(try splitter.split("  leading spaces only then words") != nil)
    }
}

/// The whole run on the table model: records equal one-at-a-time generations, skips are noted, and a run
/// interrupted (its output cut mid-line, as a kill leaves it) and resumed gives exactly the records of an
/// uninterrupted one.
@Suite struct DistillRunnerTests {
    let model = TableModel()
    let passages = [
        "alpha beta gamma delta epsilon zeta eta theta", "short", "one two three four five six seven eight nine",
        "red orange yellow green blue indigo violet", "a b c d e f g h i j k l m n o p", "north east south west up down left right",
    ]

    func settings(limit: Int? = nil, maxTokens: Int = 6) -> DistillSettings {
        DistillSettings(
            teacher: "table", template: "raw", corpus: "c.txt", corpusFingerprint: "x", passages: passages.count, limit: limit,
            maxTokens: maxTokens, sampling: SamplingParameters(temperature: 0.8, seed: 5), minimumTokens: 10, dropTruncated: false, keepEmpty: false)
    }

    func path() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("poe-distill-\(UUID().uuidString).jsonl").path }

    func records(_ path: String) throws -> [DistillRecord] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { try JSONDecoder().decode(DistillRecord.self, from: Data($0.utf8)) }
    }

    func runner(_ settings: DistillSettings, batch: Int = 3) -> DistillRunner<TableModel> {
        DistillRunner(model: model, product: .none, template: .raw, settings: settings, batchSize: batch)
    }

    @Test func recordsAreWhatTheTeacherSaysToEachFirstHalf() throws {
        let out = path()
        let output = try DistillOutput.create(path: out, settings: settings(), replacing: false)
        try runner(settings()).run(passages, into: output)
        let written = try records(out).sorted { $0.sourceIndex < $1.sourceIndex }
        #expect(written.map(\.sourceIndex) == [0, 2, 3, 4, 5])
        #expect(output.skipped.map(\.sourceIndex) == [1])
        let generator = Generator(model: model, parameters: GenerationParameters(template: .raw, maxTokens: 6, sampling: settings().sampling))
        for record in written {
            #expect(passages[record.sourceIndex].hasPrefix(record.instruction))
            #expect(try generator.generate(record.instruction).text == record.output)
        }
        #expect(throws: DistillError.self) { _ = try DistillOutput.create(path: out, settings: settings(), replacing: false) }
    }

    @Test func anInterruptedRunResumesToTheSameRecords() throws {
        let whole = path()
        try runner(settings()).run(passages, into: DistillOutput.create(path: whole, settings: settings(), replacing: false))
        let expected = try records(whole).sorted { $0.sourceIndex < $1.sourceIndex }

        // Stop after two passages (the first batch's), and cut the file mid-line as a kill would.
        let cut = path()
        do {
            let output = try DistillOutput.create(path: cut, settings: settings(limit: 3), replacing: false)
            _ = try runner(settings(limit: 3), batch: 2).run(passages, into: output)
        }
        let text = try String(contentsOfFile: cut, encoding: .utf8)
        try Data((text + "{\"instruction\": \"half a li").utf8).write(to: URL(fileURLWithPath: cut))
        // The limit is part of the settings: resuming with another is refused.
        #expect(throws: DistillError.self) { _ = try DistillOutput.resume(path: cut, settings: settings()) }
        var state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cut + ".state.json"))) as? [String: Any]
        var recorded = state?["settings"] as? [String: Any]
        recorded?["limit"] = nil
        state?["settings"] = recorded
        try JSONSerialization.data(withJSONObject: state ?? [:]).write(to: URL(fileURLWithPath: cut + ".state.json"))

        let resumed = try DistillOutput.resume(path: cut, settings: settings())
        #expect(resumed.records == 2)
        try runner(settings(), batch: 4).run(passages, into: resumed)
        #expect(try records(cut).sorted { $0.sourceIndex < $1.sourceIndex } == expected)
    }
}
