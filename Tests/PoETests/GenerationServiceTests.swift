import Foundation
import PoE
import PoETestSupport
import Testing

/// Continuous batching: requests that arrive together and apart, with prompts taken in a chunk at a
/// time, get what `Generator.generate` gives each alone; the queue's limits and cancellation.
@Suite struct GenerationServiceTests {
    static func collect(_ stream: AsyncThrowingStream<GenerationEvent, any Error>) async throws -> (GenerationResult, String) {
        var text = ""
        for try await event in stream {
            switch event {
            case let .text(chunk): text += chunk
            case let .finished(result): return (result, text)
            case .token: break
            }
        }
        throw CancellationError()
    }

    @Test(arguments: [1, 3, 16])
    func eachRequestGetsWhatItGetsAlone(maxBatch: Int) async throws {
        // Chunks of 2 tokens and 3 prompt tokens a step: prompts come in over several steps.
        let model = TableModel(chunkSize: 2)
        let service = GenerationService(model: model, limits: .init(maxBatch: maxBatch, maxQueue: 64, prefillBudget: 3))
        let instructions = ["ab", "a longer prompt than the others", "c", "bb", "another, quite long, prompt here", "ca", "a"]
        let settings = instructions.indices.map { i in
            GenerationParameters(
                template: .tulu, maxTokens: 5 + 3 * i, sampling: i % 2 == 0 ? .greedy : SamplingParameters(temperature: 0.9, seed: UInt64(i)),
                stopStrings: i == 3 ? ["q"] : [])
        }
        let alone = try instructions.indices.map { i in try Generator(model: model, parameters: settings[i]).generate(instructions[i]) }
        try await withThrowingTaskGroup(of: (Int, GenerationResult, String).self) { group in
            for i in instructions.indices {
                let prompt = try settings[i].template.prompt(for: instructions[i], tokenizer: model.tokenizer)
                let stream = try service.submit(prompt, parameters: settings[i])
                group.addTask {
                    let (result, text) = try await Self.collect(stream)
                    return (i, result, text)
                }
            }
            for try await (i, result, text) in group {
                #expect(result.tokens == alone[i].tokens && result.text == alone[i].text && result.stopReason == alone[i].stopReason)
                #expect(text == result.text)
            }
        }
        let statistics = service.statistics
        #expect(statistics.finished == instructions.count && statistics.failed == 0)
        #expect(statistics.generatedTokens == alone.map(\.tokens.count).reduce(0, +))
        await service.shutdown()
    }

    @Test func fullQueuesAndShutdownRefuse() async throws {
        let model = TableModel()
        let prompt = try PromptTemplate.raw.prompt(for: "ab", tokenizer: model.tokenizer)
        let full = GenerationService(model: model, limits: .init(maxQueue: 0))
        #expect(throws: GenerationServiceError.queueFull(limit: 0)) { try full.submit(prompt, parameters: GenerationParameters()) }
        await full.shutdown()
        let service = GenerationService(model: model)
        await service.shutdown()
        #expect(throws: GenerationServiceError.shuttingDown) { try service.submit(prompt, parameters: GenerationParameters()) }
    }

    /// A request whose reader goes away is dropped at the next step; one that waits past the queue's
    /// timeout is refused; a prompt that does not fit fails alone.
    @Test func cancellationTimeoutsAndFailures() async throws {
        // The first request must still be running when its reader gives up, however fast or slow the
        // machine: it asks for more tokens than the table model gives in minutes.
        let model = TableModel(contextLength: 10_000_000)
        let service = GenerationService(model: model, limits: .init(maxBatch: 1, queueTimeout: .milliseconds(300)))
        let long = GenerationParameters(template: .raw, maxTokens: 9_000_000, ignoreEndOfGeneration: true)
        let prompt = try PromptTemplate.raw.prompt(for: "ab", tokenizer: model.tokenizer)
        let first = try service.submit(prompt, parameters: long)
        let reader = Task { for try await _ in first {} }
        // The batch holds one: the second waits, past its timeout.
        let waiting = try service.submit(prompt, parameters: long)
        await #expect(throws: GenerationServiceError.queueTimeout) { _ = try await Self.collect(waiting) }
        // The first one's reader gives up.
        reader.cancel()
        _ = await reader.result  // a cancelled stream ends without an error
        for _ in 0 ..< 3000 where service.statistics.cancelled == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let statistics = service.statistics
        #expect(statistics.cancelled == 1 && statistics.failed == 1 && statistics.finished == 0, "\(statistics)")
        let tooLong = try PromptTemplate.raw.prompt(for: String(repeating: "a", count: 100), tokenizer: TableModel(contextLength: 50).tokenizer)
        let small = GenerationService(model: TableModel(contextLength: 50))
        await #expect(throws: LanguageModelError.contextFull(needed: 102, capacity: 50)) {
            _ = try await Self.collect(try small.submit(tooLong, parameters: GenerationParameters()))
        }
        await small.shutdown()
        await service.shutdown(cancelling: true)
    }
}
