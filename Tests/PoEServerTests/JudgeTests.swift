import Foundation
import Hummingbird
import PoE
import PoEBench
import PoEJudge
import PoERules
import PoEServer
import Synchronization
import Testing

/// The bench's judge against a real judge (`poe serve` with SmolLM2 Instruct on loopback: weak, but real,
/// and the mechanism is what is tested), and against a double for the failure paths.
@Suite(.serialized) struct JudgeTests {
    /// Three instructions with references, and two rule sets' responses made up to differ: `none` echoes
    /// the instruction and writes another turn, `paper` answers briefly.
    static func report() throws -> (BenchReport, [BenchInstruction]) {
        let path = "instructions.jsonl"
        let instructions = [
            BenchInstruction(instruction: "Name three primary colours.", reference: "Red, yellow and blue are the traditional primary colours."),
            BenchInstruction(instruction: "What is the capital of France?", reference: "The capital of France is Paris."),
            BenchInstruction(instruction: "Give one tip for sleeping well.", reference: "Go to bed at the same time every night."),
        ]
        var report = BenchReport(
            configuration: BenchConfiguration(model: "m", instructions: path, template: "tulu", maxTokens: 64, limit: 3),
            ruleSets: [RuleSet.none, try RuleSet.load("paper")], instructions: instructions)
        for i in report.records.indices {
            let instruction = report.records[i].instruction
            report.records[i].text = report.records[i].ruleSet == "none"
                ? "\(instruction)\n\(instruction)\nUser: and another question"
                : "Here is a short answer to \"\(instruction.prefix(40))\": I would need to look it up."
            report.records[i].tokens = [1, 2, 3]
            report.records[i].stopReason = .endOfGeneration
        }
        return (report, instructions)
    }

    static func directory() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("judge-\(UUID())") }

    @Test func aRealJudgeAnswersEveryQuestionInBothOrdersOnce() async throws {
        let running = try await RunningServer(ServerConfiguration(port: 0, modelName: "smollm2"), model: ServerFixtures.model)
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (report, instructions) = try Self.report()
        let endpoint = try #require(JudgeEndpoint.chatCompletionsURL("http://127.0.0.1:\(running.port)/v1"))
        let judge = BenchJudge(judge: JudgeClient(endpoint: JudgeEndpoint(url: endpoint, model: "smollm2")), concurrency: 3)
        let comparisons = [JudgeComparison(ruleSet: "none"), JudgeComparison(ruleSet: "paper"), JudgeComparison(ruleSet: "paper", against: "none")]
        var store = try JudgmentStore(directory: directory)
        let outcome = try await judge.judge(report, instructions: instructions, comparisons: comparisons, store: &store)
        await running.stop()

        // 3 instructions × 3 comparisons × 2 orders, each asked once.
        #expect(outcome.failures.isEmpty && outcome.asked == 18 && store.judgments.count == 18)
        for judgment in store.judgments.values {
            #expect(judgment.judgeModel == "smollm2" && judgment.answer.tokens?.isEmpty == false, "logprobs came back")
            let p = judgment.firstProbability
            #expect(p == nil || (0 ... 1).contains(p!))
        }
        // Every pair was asked in both orders.
        let asked = Set(store.judgments.values.map { "\($0.index):\($0.first):\($0.second)" })
        for index in 0 ..< 3 {
            for (a, b) in [("none", "reference"), ("paper", "reference"), ("paper", "none")] {
                #expect(asked.contains("\(index):\(a):\(b)") && asked.contains("\(index):\(b):\(a)"))
            }
        }
        for rate in outcome.results.winRates {
            #expect(rate.judged + rate.unparseable + rate.missing == 3 && rate.missing == 0)
            #expect(rate.wins + rate.ties + rate.losses == rate.judged)
            if let value = rate.winRate, let interval = rate.winRateInterval {
                #expect(interval[0] <= value && value <= interval[1] && (0 ... 1).contains(value))
            }
        }
        #expect(outcome.results.winRates.map(\.against) == ["reference", "reference", "none"])

        // Judging again with the same judge asks nothing: the answers are read back from judgments.jsonl.
        var reread = try JudgmentStore(directory: directory)
        #expect(reread.judgments == store.judgments)
        let again = try await judge.judge(report, instructions: instructions, comparisons: comparisons, store: &reread)
        #expect(again.asked == 0 && again.results == outcome.results)
    }

    /// A judge double: each path misbehaves in its own way.
    final class Double: Sendable {
        let port: Int
        /// Requests per path.
        final class Hits: Sendable {
            let counts = Mutex<[String: Int]>([:])
            func count(_ path: String) -> Int { counts.withLock { $0[path, default: 0] += 1; return $0[path]! } }
            subscript(_ path: String) -> Int? { counts.withLock { $0[path] } }
        }
        let hits = Hits()
        private let task: Task<Void, any Error>

        init() async throws {
            let router = Router()
            let hits = hits
            @Sendable func count(_ path: String) -> Int { hits.count(path) }
            @Sendable func completion(_ content: String) -> Response {
                let body = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"\(content)\"},\"finish_reason\":\"stop\"}]}"
                return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
            }
            router.post("/down/v1/chat/completions") { _, _ -> Response in
                _ = count("down")
                return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "{\"error\":{\"message\":\"overloaded\"}}")))
            }
            router.post("/flaky/v1/chat/completions") { _, _ -> Response in
                count("flaky") == 1 ? Response(status: .serviceUnavailable) : completion("B")
            }
            router.post("/garbage/v1/chat/completions") { _, _ -> Response in
                _ = count("garbage")
                return completion("Both responses have merits.")
            }
            router.post("/slow/v1/chat/completions") { _, _ -> Response in
                _ = count("slow")
                try await Task.sleep(for: .seconds(3))
                return completion("A")
            }
            router.post("/html/v1/chat/completions") { _, _ -> Response in
                _ = count("html")
                return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "<html>hello</html>")))
            }
            router.post("/key/v1/chat/completions") { _, _ -> Response in
                _ = count("key")
                return Response(status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "{\"error\":{\"message\":\"bad API key\"}}")))
            }
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let application = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
            task = Task { try await application.runService() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            self.port = port
        }

        func client(_ path: String, timeout: Duration = .seconds(30)) -> JudgeClient {
            JudgeClient(endpoint: JudgeEndpoint(url: URL(string: "http://127.0.0.1:\(port)/\(path)/v1/chat/completions")!, model: "x", timeout: timeout, attempts: 2))
        }

        func stop() async {
            task.cancel()
            _ = await task.result
        }
    }

    @Test func failuresAreRetriedReportedOrRecordedAsUnparseable() async throws {
        let double = try await Double()
        let question = JudgePrompt.messages(instruction: "i", first: "x", second: "y")
        func failure(_ path: String, timeout: Duration = .seconds(30)) async -> JudgeError? {
            do {
                _ = try await double.client(path, timeout: timeout).ask(question)
                return nil
            } catch {
                return error as? JudgeError
            }
        }
        // A 500 that lasts: tried twice, then an error that says what the server said.
        let down = await failure("down")
        #expect(down?.description.contains("HTTP 500: overloaded (after 2 tries)") == true && double.hits["down"] == 2)
        // A 503 that passes: the second try answers.
        #expect(try await double.client("flaky").ask(question) == JudgeAnswer(content: "B", tokens: nil))
        // A timeout, tried again, then reported.
        #expect(await failure("slow", timeout: .seconds(1))?.description.contains("did not answer within") == true)
        // Not a chat completion, and a refused key: not worth trying again.
        #expect(await failure("html")?.isTransient == false && double.hits["html"] == 1)
        #expect(await failure("key")?.description.contains("HTTP 401: bad API key") == true && double.hits["key"] == 1)
        // An answer that is neither letter is a judgment: recorded as unparseable, never guessed.
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (report, instructions) = try Self.report()
        var store = try JudgmentStore(directory: directory)
        let garbage = try await BenchJudge(judge: double.client("garbage")).judge(
            report, instructions: instructions, comparisons: [JudgeComparison(ruleSet: "paper")], store: &store)
        #expect(garbage.results.winRates[0].unparseable == 3 && garbage.results.winRates[0].winRate == nil && store.judgments.count == 6)
        // A judge that fails every question is given up on, with the reason.
        var empty = try JudgmentStore(directory: Self.directory())
        await #expect(throws: BenchError.self) {
            _ = try await BenchJudge(judge: double.client("key"), concurrency: 2, failureLimit: 3).judge(
                report, instructions: instructions, comparisons: [JudgeComparison(ruleSet: "paper")], store: &empty)
        }
        #expect(empty.judgments.isEmpty)
        await double.stop()
    }

    @Test func endpointsAreMadeFromWhatUsersGive() {
        #expect(JudgeEndpoint.chatCompletionsURL("http://127.0.0.1:8080")?.absoluteString == "http://127.0.0.1:8080/v1/chat/completions")
        #expect(JudgeEndpoint.chatCompletionsURL("https://api.example.com/v1/")?.absoluteString == "https://api.example.com/v1/chat/completions")
        #expect(JudgeEndpoint.chatCompletionsURL("http://h/v1/chat/completions")?.absoluteString == "http://h/v1/chat/completions")
        #expect(JudgeEndpoint.chatCompletionsURL("ftp://h") == nil)
        #expect(JudgeEndpoint.chatCompletionsURL("localhost:8080") == nil)
    }
}
