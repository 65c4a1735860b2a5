import Foundation
import PoE
import PoERules
import PoETestSupport
import Testing

@Suite struct RuleSetTests {
    static func file(_ json: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    static func error(_ json: String) throws -> String {
        let path = try file(json)
        do {
            _ = try RuleSet.decode(contentsOf: path)
            return "no error"
        } catch {
            guard case let .invalidFile(errorPath, reason) = error, errorPath == path else { return "\(error)" }
            return reason
        }
    }

    /// Every preset written as a file reads back as itself.
    @Test(arguments: RuleSet.presets.map(\.name))
    func presetsRoundTrip(name: String) throws {
        let preset = try RuleSet.load(name)
        let path = try Self.file(String(decoding: try JSONEncoder().encode(preset), as: UTF8.self))
        #expect(try RuleSet.load(path) == preset)
    }

    @Test func paperPresetIsThePapersThreeRules() throws {
        let paper = try RuleSet.load("paper")
        #expect(paper.experts.count == 3 && paper.experts.allSatisfy { $0.weight == 1 })
        #expect(paper.experts[0].kind == .eosRamp(start: 0, end: 250, peak: 15, afterEnd: .zero))
        #expect(paper.experts[1].kind == .repetitionPenalty(penalty: 1.5, scope: .instruction, exempt: []))
        guard case let .tokenBias(tokens, biases, _) = paper.experts[2].kind else { Issue.record("uniform"); return }
        #expect(tokens.count == 15 && biases.count == 15)
    }

    /// Leaving each rule out of `paper` gives the three ablation presets; a repeated type is numbered.
    @Test func leaveOneOutAblations() throws {
        let ablations = RuleSet.paper.leaveOneOut()
        #expect(ablations.map(\.name) == ["paper-no-eos", "paper-no-diversity", "paper-no-uniform"])
        for ablation in ablations { #expect(try RuleSet.load(ablation.name) == ablation) }
        let twice = RuleSet(name: "x", experts: RuleSet.paper.experts + [RuleSet.paper.experts[0]])
        #expect(twice.leaveOneOut().map(\.name) == ["x-no-eos1", "x-no-diversity", "x-no-uniform", "x-no-eos4"])
        #expect(RuleSet.none.leaveOneOut().isEmpty)
    }

    @Test func aFileWithEveryKindOfExpert() throws {
        let path = try Self.file(#"""
            {"name": "mine", "experts": [
              {"type": "eosRamp", "weight": 0.5, "start": 10, "end": 100, "peak": 6, "afterEnd": "hold"},
              {"type": "repetitionPenalty", "penalty": 1, "scope": {"window": 32}, "exempt": [{"text": "\n"}, {"id": 3}]},
              {"type": "tokenBias", "tokens": [{"text": " I", "bias": -2}, {"id": 5, "bias": 1.5}]},
              {"type": "startBias"},
              {"type": "frequencyPresencePenalty", "frequency": 0.2, "presence": 0.1},
              {"type": "multiplicativeRepetitionPenalty", "penalty": 1.2, "scope": "response"},
              {"type": "bannedStrings", "strings": ["As an AI"]},
              {"type": "languageModel", "model": "smollm2-135m-instruct", "weight": -0.5}
            ]}
            """#)
        let rules = try RuleSet.load(path)
        #expect(rules.name == "mine" && rules.experts.count == 8)
        #expect(rules.experts[0] == ExpertSpec(.eosRamp(start: 10, end: 100, peak: 6, afterEnd: .hold), weight: 0.5))
        #expect(rules.experts[1].kind == .repetitionPenalty(penalty: 1, scope: .window(32), exempt: [.text("\n"), .id(3)]))
        #expect(rules.experts[7] == ExpertSpec(.languageModel(model: "smollm2-135m-instruct", adapters: []), weight: -0.5))
    }

    @Test func errorsNameTheField() throws {
        #expect(try Self.error(#"{"experts": [{"type": "eosRamp", "peek": 3}]}"#)
            == "experts[0] (eosRamp): unknown field 'peek' (allowed: type, weight, start, end, peak, afterEnd)")
        #expect(try Self.error(#"{"experts": [{"type": "eosRampp"}]}"#).hasPrefix("experts[0]: unknown type 'eosRampp' (one of bannedStrings, eosRamp,"))
        #expect(try Self.error(#"{"experts": [{"weight": 1}]}"#).hasPrefix("experts[0]: the field 'type' is missing"))
        #expect(try Self.error(#"{"experts": [{"type": "eosRamp", "start": 300}]}"#)
            == "experts[0] (eosRamp): 'end' (250) must be greater than 'start' (300)")
        #expect(try Self.error(#"{"experts": [{"type": "eosRamp", "start": -1}]}"#) == "experts[0] (eosRamp): 'start' must be 0 or more, not -1")
        #expect(try Self.error(#"{"experts": [{"type": "eosRamp", "peak": "high"}]}"#) == "experts[0] (eosRamp): 'peak' should be a finite number")
        #expect(try Self.error(#"{"experts": [{"type": "eosRamp", "afterEnd": "stay"}]}"#) == #"experts[0] (eosRamp): 'afterEnd' must be "zero" or "hold""#)
        #expect(try Self.error(#"{"experts": [{"type": "repetitionPenalty", "scope": "everything"}]}"#).contains("'everything' is not a scope"))
        #expect(try Self.error(#"{"experts": [{"type": "tokenBias"}]}"#) == "experts[0] (tokenBias): the field 'tokens' is missing")
        #expect(try Self.error(#"{"experts": [{"type": "tokenBias", "tokens": [{"text": "a"}]}]}"#) == "experts[0].tokens[0]: the field 'bias' is missing")
        #expect(try Self.error(#"{"experts": [{"type": "tokenBias", "tokens": [{"text": "a", "id": 3, "bias": 1}]}]}"#) == "experts[0].tokens[0]: give exactly one of 'text' or 'id'")
        #expect(try Self.error(#"{"name": "x"}"#) == "the rule set: the field 'experts' is missing")
        #expect(try Self.error(#"{"experts": [}"#) == "not valid JSON at line 1, column 14: invalid value")
    }

    /// Numbers are checked as the Float they become: beyond Float's range, or too small to be told from 0.
    @Test func numbersAreValidatedAsFloats() throws {
        #expect(try Self.error(#"{"experts": [{"type": "eosRamp", "weight": 1e39}]}"#)
            == "experts[0] (eosRamp): 'weight' is 1e+39, beyond the range of a 32-bit float (±3.4e38)")
        #expect(try Self.error(#"{"experts": [{"type": "tokenBias", "tokens": [{"id": 3, "bias": -4e38}]}]}"#)
            == "experts[0].tokens[0]: 'bias' is -4e+38, beyond the range of a 32-bit float (±3.4e38)")
        #expect(try Self.error(#"{"experts": [{"type": "multiplicativeRepetitionPenalty", "penalty": 1e-300}]}"#)
            == "experts[0] (multiplicativeRepetitionPenalty): 'penalty' is 1e-300, too small for a 32-bit float (it would be 0)")
        // In range, a huge bias is accepted here; the product then names the expert that overflows (ProductError).
        #expect(try Self.error(#"{"experts": [{"type": "tokenBias", "weight": 2, "tokens": [{"id": 3, "bias": 3e38}]}]}"#) == "no error")
    }

    /// The decoder's own errors in words: no Swift type names, a line and column for malformed JSON.
    @Test func decoderErrorsAreReadable() throws {
        #expect(try Self.error(#"{"experts": [{"type": "tokenBias", "tokens": [{"id": 1.5, "bias": 1}]}]}"#)
            == "experts[0].tokens[0]: 'id' should be a whole number")
        #expect(try Self.error(#"{"experts": "all"}"#) == "the rule set: 'experts' should be a list")
        #expect(try Self.error(#"{"experts": ["x"]}"#) == "experts[0]: should be an object")
        #expect(try Self.error(#"{"name": 3, "experts": []}"#) == "the rule set: 'name' should be a text")
        #expect(try Self.error("{\n  \"experts\": [,]\n}") .hasPrefix("not valid JSON at line 2, column 15"))
        #expect(try Self.error("") == "not valid JSON at line 1, column 1: the file is empty")
    }

    /// Lists that go together must be as long as each other, and fields belong where they are written.
    @Test func strayFieldsAndMismatchedLengths() throws {
        #expect(try Self.error(#"{"experts": [{"type": "repetitionPenalty", "exempt": [{"text": "a", "bias": 2}]}]}"#)
            == "experts[0].exempt[0]: unknown field 'bias' (allowed: text, id)")
        #expect(throws: RuleError.mismatchedLengths(expert: "tokenBias", first: "tokens", firstCount: 2, second: "biases", secondCount: 1)) {
            try RuleSet(name: "x", experts: [ExpertSpec(.tokenBias(tokens: [.id(3), .id(4)], biases: [1], unresolvable: .error))])
                .build(RuleBuildContext(tokenizer: TableModel().tokenizer))
        }
    }

    /// Rule files may be streams (`--rules <(cat file)`); a directory or a missing file is named as such.
    @Test func streamsDirectoriesAndMissingFiles() throws {
        var pipe: [Int32] = [0, 0]
        #expect(Foundation.pipe(&pipe) == 0)
        let json = Data(#"{"name": "piped", "experts": [{"type": "eosRamp"}]}"#.utf8)
        _ = json.withUnsafeBytes { Foundation.write(pipe[1], $0.baseAddress, $0.count) }
        close(pipe[1])
        defer { close(pipe[0]) }
        #expect(try RuleSet.load("/dev/fd/\(pipe[0])").name == "piped")
        let directory = FileManager.default.temporaryDirectory.path
        #expect(throws: RuleError.invalidFile(path: directory, reason: "is a directory, not a file")) { try RuleSet.load(directory) }
        #expect(throws: RuleError.invalidFile(path: "/nonexistent/rules.json", reason: "does not exist")) { try RuleSet.decode(contentsOf: "/nonexistent/rules.json") }
    }

    @Test func unknownPreset() {
        #expect(throws: RuleError.unknownPreset("papper", known: RuleSet.presets.map(\.name))) { try RuleSet.load("papper") }
    }

    /// Texts resolve when the expert is built; one that is not a token is an error, or skipped on request.
    @Test func textsThatAreNotOneToken() throws {
        let tokenizer = TableModel().tokenizer
        #expect(throws: RuleError.notOneToken(expert: "tokenBias", text: "ab")) {
            try TokenBias(strings: [("ab", 1)], tokenizer: tokenizer)
        }
        let skipping = try TokenBias(strings: [("ab", 1), ("a", 2)], tokenizer: tokenizer, unresolvable: .skip)
        #expect(skipping.skipped == ["ab"] && skipping.ids.count == 1)
        let bad = RuleSet(name: "x", experts: [ExpertSpec(.tokenBias(tokens: [.text("zz")], biases: [1], unresolvable: .error))])
        #expect(throws: RuleError.notOneToken(expert: "tokenBias", text: "zz")) { try bad.build(RuleBuildContext(tokenizer: tokenizer)) }
        // Ids and texts mixed in one rule: `.skip` still applies to the texts.
        let mixed = RuleSet(name: "x", experts: [ExpertSpec(.tokenBias(tokens: [.id(3), .text("zz")], biases: [1, 2], unresolvable: .skip))])
        let built = try #require(try mixed.build(RuleBuildContext(tokenizer: tokenizer)).first?.expert as? TokenBias)
        #expect(built.ids == [3] && built.skipped == ["zz"])
    }

    @Test func outOfRangeIdsAreCaughtWhenTheProductIsBuilt() throws {
        let model = TableModel()
        let rules = RuleSet(name: "x", experts: [ExpertSpec(.tokenBias(tokens: [.id(5000)], biases: [1], unresolvable: .error))])
        let experts = try rules.build(RuleBuildContext(tokenizer: model.tokenizer))
        #expect(throws: RuleError.tokenOutOfRange(expert: "tokenBias", id: 5000, vocabularySize: model.vocabulary.count)) {
            try ProductOfExperts(experts, vocabulary: model.vocabulary)
        }
    }

    @Test func expertModelWithAnotherVocabulary() throws {
        let base = TableModel()
        let bigger = TableModel()
        let small = TableModel(contextLength: 16)
        _ = small
        let expert = LanguageModelExpert(bigger)
        try expert.check(vocabulary: base.vocabulary)
        let other = Vocabulary(pieces: ["a", "b"], attributes: [.normal, .normal], bos: nil, eos: nil, endOfGeneration: [], addsBOS: false)
        #expect(throws: RuleError.vocabularyMismatch(expert: "languageModel", expected: 2, found: base.vocabulary.count, firstDifference: nil)) {
            try expert.check(vocabulary: other)
        }
    }
}
