import Foundation
import Testing

/// `poe generate`: output formats, the trace, and one-sentence errors for bad rule sets and prompts.
@Suite struct GenerateCommandTests {
    static func poe(_ arguments: [String]) throws -> CommandLineTests.Result {
        let process = Process()
        process.executableURL = CommandLineTests.executable
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self), errors: String(decoding: errorData, as: UTF8.self))
    }

    static func rulesFile(_ json: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        return url.path
    }

    static let small = ["generate", "--model", "smollm2-135m-instruct", "--max-tokens", "8"]

    @Test func jsonResult() throws {
        let result = try Self.poe(Self.small + ["--rules", "paper", "--json", "Name a color."])
        #expect(result.status == 0, "\(result.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(object["text"] is String)
        #expect((object["tokens"] as? Int).map { $0 <= 8 } == true)
        #expect((object["prompt_tokens"] as? Int).map { $0 > 5 } == true)
        #expect(["eos", "length", "stop"].contains(object["stop_reason"] as? String ?? ""))
        let timings = try #require(object["timings"] as? [String: Any])
        #expect(timings["generation_tokens_per_second"] is Double)
    }

    @Test func streamsTextAndWritesTheTrace() throws {
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString).jsonl").path
        let result = try Self.poe(Self.small + ["--rules", "paper", "--trace", trace, "Name a color."])
        #expect(result.status == 0, "\(result.errors)")
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty && lines.count <= 8)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        for key in ["step", "token", "piece", "base_logprob", "contributions", "final_probability", "base_top_token", "base_top_piece", "changed_by_experts"] {
            #expect(first[key] != nil, "trace field \(key)")
        }
        let experts = (first["contributions"] as? [[String: Any]])?.compactMap { $0["expert"] as? String }
        #expect(experts == ["eosRamp", "repetitionPenalty", "tokenBias"])
    }

    @Test func compareSideBySide() throws {
        let result = try Self.poe(Self.small + ["--compare", "none,paper", "Name a color."])
        #expect(result.status == 0, "\(result.errors)")
        let header = try #require(result.output.split(separator: "\n").first)
        #expect(header.hasPrefix("none") && header.contains("│ paper"))
    }

    @Test func unknownPreset() throws {
        let result = try Self.poe(Self.small + ["--rules", "papper", "Hi"])
        CommandLineTests.expectOneLineError(result, containing: "unknown rule set 'papper': not a preset")
    }

    @Test func ruleFileWithAWrongType() throws {
        let path = try Self.rulesFile(#"{"experts": [{"type": "eosRamp", "peak": "high"}]}"#)
        CommandLineTests.expectOneLineError(try Self.poe(Self.small + ["--rules", path, "Hi"]), containing: "experts[0] (eosRamp): 'peak' should be a finite number")
        let unknown = try Self.rulesFile(#"{"experts": [{"type": "eosRampp"}]}"#)
        CommandLineTests.expectOneLineError(try Self.poe(Self.small + ["--rules", unknown, "Hi"]), containing: "unknown type 'eosRampp'")
    }

    @Test func missingOrOutOfRangeField() throws {
        let missing = try Self.rulesFile(#"{"experts": [{"type": "tokenBias"}]}"#)
        CommandLineTests.expectOneLineError(try Self.poe(Self.small + ["--rules", missing, "Hi"]), containing: "experts[0] (tokenBias): the field 'tokens' is missing")
        let range = try Self.rulesFile(#"{"experts": [{"type": "eosRamp", "start": 10, "end": 5}]}"#)
        CommandLineTests.expectOneLineError(try Self.poe(Self.small + ["--rules", range, "Hi"]), containing: "'end' (5) must be greater than 'start' (10)")
        let badID = try Self.rulesFile(#"{"experts": [{"type": "tokenBias", "tokens": [{"id": 999999, "bias": 1}]}]}"#)
        CommandLineTests.expectOneLineError(try Self.poe(Self.small + ["--rules", badID, "Hi"]), containing: "token id 999999 is outside the vocabulary")
    }

    @Test func tokenTextNotInTheVocabulary() throws {
        let path = try Self.rulesFile(#"{"experts": [{"type": "tokenBias", "tokens": [{"text": "antidisestablishmentarianism", "bias": -2}]}]}"#)
        CommandLineTests.expectOneLineError(
            try Self.poe(Self.small + ["--rules", path, "Hi"]),
            containing: #"tokenBias: "antidisestablishmentarianism" is not a single token of this model's vocabulary"#)
    }

    @Test func expertModelWithAnotherVocabulary() throws {
        let path = try Self.rulesFile(#"{"experts": [{"type": "languageModel", "model": "gemma-3-270m", "weight": -0.5}]}"#)
        CommandLineTests.expectOneLineError(
            try Self.poe(Self.small + ["--rules", path, "Hi"]),
            containing: "languageModel: the expert model has 262144 tokens, the base model 49152; their vocabularies must be equal")
    }

    @Test func instructionLongerThanTheContext() throws {
        let long = String(repeating: "word ", count: 9000)
        CommandLineTests.expectOneLineError(try Self.poe(Self.small + [long]), containing: "the context holds 8192")
    }

    @Test func badSamplingArguments() throws {
        let result = try Self.poe(Self.small + ["--top-p", "1.5", "Hi"])
        #expect(result.status != 0 && result.errors.contains("--top-p must be between 0 and 1"))
    }
}
