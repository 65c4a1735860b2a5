import Foundation
import PoE
import PoETestSupport
import Testing

@Suite struct GenerationTests {
    let model = TableModel()

    /// Greedy generation on the table model is its bigram walk: check it step by step.
    @Test func greedyFollowsTheModel() throws {
        let result = try Generator(model: model, parameters: GenerationParameters(template: .raw, maxTokens: 12)).generate("ab")
        var previous: TokenID = try model.tokenizer.encode("ab", addSpecial: true, parseSpecial: false).last!
        for token in result.tokens {
            let logits = model.logits(after: previous)
            #expect(token == logits.withUnsafeBufferPointer { argmax($0) })
            previous = token
        }
        #expect(result.text == model.tokenizer.decode(result.tokens))
    }

    @Test func stopsAtMaxTokensAndAtEOS() throws {
        let result = try Generator(model: model, parameters: GenerationParameters(template: .raw, maxTokens: 5)).generate("ab")
        #expect(result.tokens.count == 5 && result.stopReason == .length)
        // Make EOS win: a huge bonus on <eos>.
        let eos = WeightedExpert(FixedExpert(name: "eos", scores: .sparse(ids: [1], values: [100])))
        let product = try ProductOfExperts([eos], vocabulary: model.vocabulary)
        let ended = try Generator(model: model, product: product, parameters: GenerationParameters(template: .raw, maxTokens: 5)).generate("ab")
        #expect(ended.tokens.isEmpty && ended.stopReason == .endOfGeneration && ended.stopToken == 1 && ended.text.isEmpty)
    }

    @Test func stopStringsEndTheTextBeforeThem() throws {
        let full = try Generator(model: model, parameters: GenerationParameters(template: .raw, maxTokens: 40)).generate("ab")
        let stop = String(full.text.dropFirst(4).prefix(2))
        var streamed = ""
        let result = try Generator(model: model, parameters: GenerationParameters(template: .raw, maxTokens: 40, stopStrings: [stop]))
            .generate("ab") { if case let .text(chunk) = $0 { streamed += chunk } }
        #expect(result.stopReason == .stop)
        #expect(result.text == String(full.text[..<full.text.range(of: stop)!.lowerBound]))
        #expect(streamed == result.text)
    }

    @Test func streamedTextIsTheFinalText() async throws {
        let generator = Generator(model: model, parameters: GenerationParameters(template: .tulu, maxTokens: 20))
        var streamed = ""
        var finished: GenerationResult?
        for try await event in generator.stream("hi") {
            switch event {
            case let .text(chunk): streamed += chunk
            case let .finished(result): finished = result
            case .token: break
            }
        }
        let result = try #require(finished)
        #expect(streamed == result.text && !result.text.isEmpty)
        #expect(result.tokens.count == 20 || result.stopReason == .endOfGeneration)
    }

    @Test func traceExplainsEachToken() throws {
        let bias = WeightedExpert(FixedExpert(name: "bias", scores: .sparse(ids: [40], values: [3])), weight: 2)
        let product = try ProductOfExperts([bias], vocabulary: model.vocabulary)
        let result = try Generator(model: model, product: product, parameters: GenerationParameters(template: .raw, maxTokens: 6, trace: true)).generate("ab")
        #expect(result.trace.count == 6)
        var previous: TokenID = try model.tokenizer.encode("ab", addSpecial: true, parseSpecial: false).last!
        for (step, record) in result.trace.enumerated() {
            let base = model.logits(after: previous)
            let baseLogSumExp = base.withUnsafeBufferPointer { logSumExp($0) }
            var combined = base
            combined[40] += 6
            #expect(record.step == step && record.token == result.tokens[step])
            #expect(record.baseLogProbability == base[Int(record.token)] - baseLogSumExp)
            #expect(record.contributions == [TraceRecord.Contribution(expert: "bias", score: record.token == 40 ? 6 : 0)])
            #expect(abs(record.finalProbability - exp(combined[Int(record.token)] - combined.withUnsafeBufferPointer { logSumExp($0) })) < 1e-6)
            #expect(record.baseTopToken == base.withUnsafeBufferPointer { argmax($0) })
            #expect(record.changedByExperts == (record.token != record.baseTopToken))
            previous = record.token
        }
    }

    /// Batches give each instruction the response it gets alone, sampled too (each sequence has its own
    /// seeded generator), and report every index once; a prompt that does not fit is an error.
    @Test(arguments: [1, 2, 5])
    func batchesGiveTheSameResponses(batchSize: Int) throws {
        let sampling = SamplingParameters(temperature: 0.8, topK: nil, topP: nil, minP: nil, seed: 3)
        let generator = Generator(model: model, parameters: GenerationParameters(template: .raw, maxTokens: 9, sampling: sampling, stopStrings: ["c3t"]))
        let instructions = ["ab", "ba", "abc", "c", "bb", "ca", "a"]
        let alone = try instructions.map { try generator.generate($0) }
        var seen: [Int] = []
        try generator.generate(instructions, batchSize: batchSize) { index, outcome in
            let result = try outcome.get()
            seen.append(index)
            #expect(result.tokens == alone[index].tokens && result.text == alone[index].text && result.stopReason == alone[index].stopReason)
        }
        #expect(seen.sorted() == Array(instructions.indices))
        #expect(Set(alone.map(\.stopReason)).count > 1, "the instructions should stop in different ways: \(alone.map { ($0.text, $0.stopReason) })")
        let small = Generator(model: TableModel(contextLength: 4), parameters: GenerationParameters(template: .raw))
        // A prompt that does not fit is that instruction's failure; the others are answered.
        var outcomes: [Int: Result<GenerationResult, any Error>] = [:]
        try small.generate(["a", "abcdefgh", "b"], batchSize: 2) { outcomes[$0] = $1 }
        #expect(throws: LanguageModelError.contextFull(needed: 10, capacity: 4)) { try outcomes[1]?.get() }
        #expect((try? outcomes[0]?.get())?.stopReason == .contextFull && (try? outcomes[2]?.get()) != nil)
    }

    @Test func promptLongerThanTheContext() throws {
        let small = TableModel(contextLength: 8)
        #expect(throws: LanguageModelError.contextFull(needed: 11, capacity: 8)) {
            try Generator(model: small, parameters: GenerationParameters(template: .raw)).generate("abcdefghi")
        }
    }
}

@Suite struct PromptTemplateTests {
    let model = TableModel()

    /// The instruction starts after the template's opening markup; the response after its closing markup.
    @Test func landmarks() throws {
        let prompt = try PromptTemplate.tulu.prompt(for: "hi", tokenizer: model.tokenizer)
        let text = model.tokenizer.decode(prompt.tokens, renderSpecial: true)
        #expect(text == "<bos><|user|>\nhi\n<|assistant|>\n")
        #expect(prompt.instructionStart == 1 + "<|user|>\n".count)
        #expect(model.tokenizer.decode(Array(prompt.tokens[prompt.instructionStart ..< prompt.instructionStart + 2])) == "hi")
        #expect(prompt.responseStart == prompt.tokens.count)
    }

    /// Markup is parsed for special tokens; the instruction never is.
    @Test func instructionsCannotForgeSpecialTokens() throws {
        let template = PromptTemplate(name: "t", prefix: "<eos>", suffix: "")
        let prompt = try template.prompt(for: "<eos>", tokenizer: model.tokenizer)
        #expect(prompt.tokens[1] == 1)  // the markup's <eos>
        #expect(!prompt.tokens[2...].contains(1))  // the instruction's "<eos>" is five characters
    }
}
