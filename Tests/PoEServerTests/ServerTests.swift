import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PoE
import PoEModels
import PoERules
import PoEServer
import PoETransformer
import Testing

/// `poe serve`'s server in this process, on a free port, with SmolLM2, reached over HTTP.
final class RunningServer: Sendable {
    let server: Server
    let port: Int
    private let task: Task<Void, any Error>

    init(_ configuration: ServerConfiguration, model: Transformer) async throws {
        let server = Server(model: model, configuration: configuration)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        task = Task { try await server.run { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        self.server = server
        self.port = port
    }

    func stop() async {
        task.cancel()
        _ = await task.result
    }

    func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:]) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        request.timeoutInterval = 300
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    func post(_ path: String, _ body: String, headers: [String: String] = [:]) async throws -> (status: Int, json: [String: Any]) {
        let (status, text) = try await request("POST", path, body: body, headers: headers)
        return (status, (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? ["raw": text])
    }
}

enum ServerFixtures {
    static let model: Transformer = {
        let path = try! ModelStore().resolve("smollm2-135m-instruct") { _ in }
        return try! Transformer(path: path.path)
    }()

    static func body(_ fields: [String: Any]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
    }

    static func chat(_ instruction: String, _ extra: [String: Any] = [:]) -> String {
        body(["messages": [["role": "user", "content": instruction]]].merging(extra) { $1 })
    }

    /// The text of a chat response, or of the `content` deltas of a stream.
    static func content(_ json: [String: Any]) -> String? {
        ((json["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["content"] as? String
    }

    static func streamedContent(_ text: String) -> (content: String, done: Bool, finishReason: String?) {
        var content = "", done = false, finishReason: String?
        for line in text.split(separator: "\n") where line.hasPrefix("data: ") {
            let payload = line.dropFirst(6)
            if payload == "[DONE]" { done = true; continue }
            guard let json = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
                  let choice = (json["choices"] as? [[String: Any]])?.first else { continue }
            content += ((choice["delta"] as? [String: Any])?["content"] as? String) ?? ""
            if let reason = choice["finish_reason"] as? String { finishReason = reason }
        }
        return (content, done, finishReason)
    }
}

@Suite(.serialized) struct ServerTests {
    /// A chat with the paper's rules and Tulu's template, greedy, is `poe generate --rules paper
    /// --template tulu`'s response, whole and streamed, alone and among other requests.
    @Test func chatEqualsGenerate() async throws {
        let model = ServerFixtures.model
        let running = try await RunningServer(ServerConfiguration(port: 0, modelName: "smollm2"), model: model)
        let instructions = ["Name three colours.", "Give me three tips for staying focused while studying.", "What is the capital of France?", "Write a haiku about rain."]
        let paper = try ProductOfExperts(RuleSet.paper.build(RuleBuildContext(tokenizer: model.tokenizer)), vocabulary: model.vocabulary)
        let expected = try instructions.map { instruction in
            try Generator(model: model, product: paper, parameters: GenerationParameters(template: .tulu, maxTokens: 48)).generate(instruction)
        }
        try await withThrowingTaskGroup(of: (Int, String?, String, String?).self) { group in
            for (i, instruction) in instructions.enumerated() {
                group.addTask {
                    let body = ServerFixtures.chat(instruction, ["rules": "paper", "template": "tulu", "temperature": 0, "max_tokens": 48])
                    let whole = try await running.post("/v1/chat/completions", body)
                    let streamedBody = ServerFixtures.chat(instruction, ["rules": "paper", "template": "tulu", "temperature": 0, "max_tokens": 48, "stream": true])
                    let streamed = ServerFixtures.streamedContent(try await running.request("POST", "/v1/chat/completions", body: streamedBody).body)
                    #expect(whole.status == 200 && streamed.done)
                    return (i, ServerFixtures.content(whole.json), streamed.content, streamed.finishReason)
                }
            }
            for try await (i, whole, streamed, reason) in group {
                #expect(whole == expected[i].text, "\(instructions[i])")
                #expect(streamed == expected[i].text)
                #expect(reason == (expected[i].stopReason == .length ? "length" : "stop"))
            }
        }
        let metrics = try await running.request("GET", "/metrics").body
        #expect(metrics.contains("poe_requests_total{endpoint=\"chat\",outcome=\"ok\"} 8"))
        await running.stop()
    }

    /// Bad requests get 400 with the field named, unknown paths 404, a missing key 401, and a full queue
    /// 429; the server goes on answering.
    @Test func errorsNameTheField() async throws {
        let running = try await RunningServer(ServerConfiguration(port: 0, modelName: "smollm2", apiKey: "sesame"), model: ServerFixtures.model)
        let key = ["Authorization": "Bearer sesame"]
        let cases: [(String, String?)] = [
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": -5}", "max_tokens"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"max_tokens\": 100000000}", "max_tokens"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": \"hot\"}", "temperature"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"temperature\": 1e300}", "temperature"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"rules\": \"nonsense\"}", "rules"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"rules\": {\"name\": \"x\", \"experts\": [{\"type\": \"eosRamp\", \"start\": \"soon\"}]}}", "rules"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"rules\": {\"name\": \"x\", \"experts\": [{\"type\": \"languageModel\", \"model\": \"/etc/passwd\"}]}}", "rules.experts[0]"),
            ("{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}", "messages[0].role"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"logit_bias\": {\"99999999\": 5}}", "logit_bias"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"template\": \"klingon\"}", "template"),
            ("{\"messages\": [{\"role\": \"user\", \"content\": \"" + String(repeating: "word ", count: 9000) + "\"}]}", "messages"),
            ("{\"messages\": [}", nil),
            ("[1, 2]", nil),
            ("{}", "messages"),
        ]
        for (body, param) in cases {
            let (status, json) = try await running.post("/v1/chat/completions", body, headers: key)
            let error = json["error"] as? [String: Any]
            #expect(status == 400 && error?["message"] is String, "\(body.prefix(80)): \(status) \(json)")
            #expect(error?["param"] as? String == param, "\(body.prefix(80)): \(json)")
        }
        #expect(try await running.post("/v1/chat/completions", ServerFixtures.chat("hi")).status == 401)
        #expect(try await running.post("/v1/chat/completions", ServerFixtures.chat("hi"), headers: ["Authorization": "Bearer wrong"]).status == 401)
        #expect(try await running.request("GET", "/v1/nowhere", headers: key).status == 404)
        #expect(try await running.request("GET", "/health").status == 200)
        let ok = try await running.post("/v1/completions", ServerFixtures.body(["prompt": "The capital of France is", "temperature": 0, "max_tokens": 3, "logprobs": 2]), headers: key)
        let logprobs = (ok.json["choices"] as? [[String: Any]])?.first?["logprobs"] as? [String: Any]
        #expect(ok.status == 200 && (logprobs?["token_logprobs"] as? [Double])?.count == 3 && (logprobs?["top_logprobs"] as? [[String: Double]])?.first?.count == 2)
        await running.stop()

        let full = try await RunningServer(
            ServerConfiguration(port: 0, modelName: "smollm2", limits: .init(maxBatch: 1, maxQueue: 0)), model: ServerFixtures.model)
        let refused = try await full.post("/v1/chat/completions", ServerFixtures.chat("hi"))
        #expect(refused.status == 429 && (refused.json["error"] as? [String: Any])?["code"] as? String == "queue_full")
        await full.stop()
    }

    /// A client that goes away mid-stream frees its place at the next step.
    @Test func disconnectedClientsAreDropped() async throws {
        let running = try await RunningServer(ServerConfiguration(port: 0, modelName: "smollm2"), model: ServerFixtures.model)
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(running.port)/v1/completions")!)
        request.httpMethod = "POST"
        request.httpBody = Data(ServerFixtures.body(["prompt": "Once upon a time", "max_tokens": 2000, "ignore_eos": true, "stream": true]).utf8)
        let task = URLSession.shared.dataTask(with: request)
        task.resume()
        for _ in 0 ..< 500 where running.server.statistics.running == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(running.server.statistics.running == 1)
        task.cancel()
        for _ in 0 ..< 500 where running.server.statistics.cancelled == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(running.server.statistics.cancelled == 1 && running.server.statistics.running == 0)
        await running.stop()
    }
}
