import AsyncHTTPClient
import Foundation
import PoEBench
import NIOCore
import NIOHTTP1

/// An OpenAI-compatible chat endpoint that judges: `poe serve`, llama-server, vLLM or a hosted API.
public struct JudgeEndpoint: Sendable, Equatable {
    /// The chat-completions URL (`chatCompletionsURL` makes it from a server's or an API's base URL).
    public var url: URL
    /// The model the endpoint is asked to judge with.
    public var model: String
    /// Sent as `Authorization: Bearer`, when set.
    public var apiKey: String?
    /// How long one request may take, and how many times a request that failed for a reason that may
    /// pass (a timeout, a refused connection, 429 or a 5xx) is tried in all.
    public var timeout: Duration
    /// Tries in all for a request that fails for a reason that may pass (at least 1).
    public var attempts: Int

    /// An endpoint at `url` (a chat-completions URL) judging with `model`.
    public init(url: URL, model: String, apiKey: String? = nil, timeout: Duration = .seconds(120), attempts: Int = 3) {
        self.url = url
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.attempts = max(1, attempts)
    }

    /// `http://host:port`, `.../v1` or the full `.../chat/completions`, as users give it, made into the
    /// chat-completions URL; nil if it is not an http(s) URL.
    public static func chatCompletionsURL(_ given: String) -> URL? {
        guard var components = URLComponents(string: given), ["http", "https"].contains(components.scheme?.lowercased() ?? ""),
              components.host?.isEmpty == false
        else { return nil }
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        if !path.hasSuffix("/chat/completions") { path += path.hasSuffix("/v1") ? "/chat/completions" : "/v1/chat/completions" }
        components.path = path
        return components.url
    }
}

/// A judge behind an OpenAI-compatible chat endpoint, over HTTP: one question at a time (callers run
/// several at once), tried again after failures that may pass.
public struct JudgeClient: Judge {
    /// Where the questions go.
    public let endpoint: JudgeEndpoint
    /// The judge model's name, which keys cached judgments.
    public var model: String { endpoint.model }
    /// The endpoint's URL, for messages.
    public var location: String { endpoint.url.absoluteString }
    /// Alternatives asked for at each answer token; 10 is within every API's limit we know (OpenAI 20, vLLM
    /// 20 by default) and holds both letters whenever the judge is torn between them.
    static let alternatives = 10

    /// A client for `endpoint`.
    public init(endpoint: JudgeEndpoint) { self.endpoint = endpoint }

    /// Asks one question (at temperature 0, for a few tokens with their top log-probabilities) and returns
    /// the answer; throws `JudgeError` once the attempts are used up or at a failure that will not pass.
    public func ask(_ messages: [ChatTurn]) async throws -> JudgeAnswer {
        var attempt = 1
        while true {
            do {
                return try await askOnce(messages)
            } catch let error as JudgeError where error.isTransient && attempt < endpoint.attempts {
                // Back off 0.5 s, 1 s, 2 s, ... so that an overloaded server is not asked again at once.
                try await Task.sleep(for: .milliseconds(500 << min(attempt - 1, 6)))
                attempt += 1
            } catch let error as JudgeError {
                throw JudgeError("\(error.description)\(attempt > 1 ? " (after \(attempt) tries)" : "")", transient: error.isTransient)
            }
        }
    }

    private func askOnce(_ messages: [ChatTurn]) async throws -> JudgeAnswer {
        let body: [String: Any] = [
            "model": endpoint.model,
            "messages": messages.map { ["role": $0.role, "content": $0.content] },
            // A few tokens, so that "Response A" still reads; the letter's log-probabilities are what count.
            "max_tokens": 4,
            "temperature": 0,
            "logprobs": true,
            "top_logprobs": Self.alternatives,
        ]
        var request = HTTPClientRequest(url: endpoint.url.absoluteString)
        request.method = .POST
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        request.headers.add(name: "Content-Type", value: "application/json")
        if let key = endpoint.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }

        let status: Int, data: Data
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(Int64(endpoint.timeout / .nanoseconds(1))))
            status = Int(response.status.code)
            // An answer of a few tokens; a body much larger than that is not one.
            data = Data((try await response.body.collect(upTo: 8 << 20)).readableBytesView)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            let timedOut = (error as? HTTPClientError) == .deadlineExceeded || (error as? HTTPClientError) == .readTimeout
            let what = timedOut ? "did not answer within \(endpoint.timeout)" : "could not be reached (\(error))"
            throw JudgeError("the judge at \(endpoint.url.absoluteString) \(what)", transient: true)
        }
        guard status == 200 else {
            let message = Self.errorMessage(data) ?? String(decoding: data.prefix(200), as: UTF8.self)
            throw JudgeError(
                "the judge at \(endpoint.url.absoluteString) answered HTTP \(status): \(message)",
                transient: status == 429 || status >= 500)
        }
        guard let answer = Self.answer(data) else {
            throw JudgeError(
                "the judge at \(endpoint.url.absoluteString) answered with something other than a chat completion: \(String(decoding: data.prefix(200), as: UTF8.self))",
                transient: false)
        }
        return answer
    }

    /// The first choice's text and token log-probabilities from a chat-completion body.
    static func answer(_ data: Data) -> JudgeAnswer? {
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let choice = (json["choices"] as? [[String: Any]])?.first,
              let message = choice["message"] as? [String: Any]
        else { return nil }
        let content = message["content"] as? String ?? ""
        let positions = ((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]])?.compactMap { item -> JudgeAnswer.TokenPosition? in
            guard let token = item["token"] as? String, let logprob = number(item["logprob"]) else { return nil }
            let alternatives = (item["top_logprobs"] as? [[String: Any]] ?? []).compactMap { top -> TokenAlternative? in
                guard let token = top["token"] as? String, let logprob = number(top["logprob"]) else { return nil }
                return TokenAlternative(token: token, logProbability: logprob)
            }
            return JudgeAnswer.TokenPosition(token: token, logProbability: logprob, alternatives: alternatives)
        }
        return JudgeAnswer(content: content, tokens: positions)
    }

    /// A log-probability: a JSON number, or the strings some servers write for infinities.
    private static func number(_ value: Any?) -> Double? {
        if let number = value as? NSNumber { return number.doubleValue }
        if let text = value as? String, text.hasSuffix("inf") { return text.hasPrefix("-") ? -.infinity : .infinity }
        return nil
    }

    /// An OpenAI-style error body's message.
    private static func errorMessage(_ data: Data) -> String? {
        ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]).flatMap { ($0["error"] as? [String: Any])?["message"] as? String }
    }
}
