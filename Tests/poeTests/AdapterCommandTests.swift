import Foundation
import Testing

/// `--lora` on the commands that run a model, adapters in rule files, and `poe inspect` on an adapter,
/// with the random adapters of the LoRA fixtures.
@Suite struct AdapterCommandTests {
    typealias CLI = CommandLineTests

    static func adapter(_ model: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PoETransformerTests/Fixtures/\(model)/lora.gguf").path
    }

    static let ids = ["--ids", "1,504,3575,314,260", "--top", "3", "--json"]

    @Test func loraChangesTheLogitsAndScaleZeroDoesNot() throws {
        let base = try CLI.poe(["logits", "--model", "smollm2-135m-instruct"] + Self.ids)
        let adapted = try CLI.poe(["logits", "--model", "smollm2-135m-instruct", "--lora", Self.adapter("smollm2-135m-instruct")] + Self.ids)
        let off = try CLI.poe(["logits", "--model", "smollm2-135m-instruct", "--lora", Self.adapter("smollm2-135m-instruct") + ":0"] + Self.ids)
        #expect(base.status == 0 && adapted.status == 0 && off.status == 0, "\(adapted.errors)")
        #expect(adapted.output != base.output && off.output == base.output)
    }

    @Test func anAdapterForAnotherModelIsOneSentence() throws {
        CLI.expectOneLineError(
            try CLI.poe(["generate", "--model", "smollm2-135m-instruct", "--lora", Self.adapter("gemma-3-270m"), "hi"]),
            containing: "the adapter is for architecture 'gemma3', the model is 'llama'")
        CLI.expectOneLineError(try CLI.poe(["generate", "--model", "smollm2-135m-instruct", "--lora", "/nonexistent/a.gguf", "hi"]), containing: "/nonexistent/a.gguf")
        // An argument error: the sentence, then the usage, as ArgumentParser gives every argument error.
        let nan = try CLI.poe(["logits", "--model", "smollm2-135m-instruct", "--lora", Self.adapter("smollm2-135m-instruct") + ":nan", "--ids", "1"])
        #expect(nan.status != 0 && nan.errors.hasPrefix("Error: --lora ") && nan.errors.contains("the scale must be a finite number"))
    }

    /// The base model times its adapted self: a languageModel expert with `lora` and no `model` shares
    /// the base model's weights.
    @Test func aRuleFileMultipliesTheBaseWithItsAdaptedSelf() throws {
        let rules = FileManager.default.temporaryDirectory.appendingPathComponent("poe-rules-\(UUID().uuidString).json").path
        let json = #"{"experts": [{"type": "languageModel", "lora": [{"path": "\#(Self.adapter("smollm2-135m-instruct"))", "scale": 1}], "weight": 1}]}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: rules))
        let result = try CLI.poe(["generate", "--model", "smollm2-135m-instruct", "--template", "chatml", "--max-tokens", "8", "--rules", rules, "--json", "Hi"])
        #expect(result.status == 0, "\(result.errors)")
        let plain = try CLI.poe(["generate", "--model", "smollm2-135m-instruct", "--template", "chatml", "--max-tokens", "8", "--json", "Hi"])
        #expect(result.output != plain.output)
    }

    @Test func inspectSummarisesAndChecksAnAdapter() throws {
        let result = try CLI.poe(["inspect", Self.adapter("gemma-3-270m"), "--base", "gemma-3-270m"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.hasPrefix("fits gemma-3-270m: 42 adapted matrices, rank 4, alpha 8.0\nLoRA adapter (gemma3): 42 adapted matrices"))
        CLI.expectOneLineError(try CLI.poe(["inspect", Self.adapter("gemma-3-270m"), "--base", "smollm2-135m-instruct"]), containing: "the model is 'llama'")
    }
}
