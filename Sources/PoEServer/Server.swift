import Foundation
import Hummingbird
import Logging
import NIOCore
import PoE
import PoERules
import PoETransformer
import ServiceLifecycle

/// What `poe serve` runs with.
public struct ServerConfiguration: Sendable {
    /// The address to listen on (`127.0.0.1`: this machine only; `0.0.0.0`: every interface).
    public var host: String
    /// 0: any free port (`Server.run` reports the one it got).
    public var port: Int
    /// The name `/v1/models` lists and responses carry.
    public var modelName: String
    /// The batch size, the queue and its timeout, and the prefill budget per step.
    public var limits: GenerationService<Transformer>.Limits
    /// Requests to `/v1` need `Authorization: Bearer` this, when set.
    public var apiKey: String?
    /// The rule set of requests that name none, with its product built for the model.
    public var defaultRules: String
    /// `defaultRules` built for the model.
    public var defaultProduct: ProductOfExperts
    /// The template of chat requests that name none (nil: the model's own, else Tulu's).
    public var chatTemplate: PromptTemplate?
    /// The largest request body accepted (larger ones get 413).
    public var maxBodyBytes: Int
    /// How long a graceful shutdown waits for requests in flight before cancelling them.
    public var shutdownTimeout: Duration

    /// A configuration; everything but the model's name has a default.
    public init(
        host: String = "127.0.0.1", port: Int = 8080, modelName: String, limits: GenerationService<Transformer>.Limits = .init(),
        apiKey: String? = nil, defaultRules: String = "none", defaultProduct: ProductOfExperts = .none, chatTemplate: PromptTemplate? = nil,
        maxBodyBytes: Int = 4 << 20, shutdownTimeout: Duration = .seconds(30)
    ) {
        (self.host, self.port, self.modelName, self.limits, self.apiKey) = (host, port, modelName, limits, apiKey)
        (self.defaultRules, self.defaultProduct, self.chatTemplate) = (defaultRules, defaultProduct, chatTemplate)
        (self.maxBodyBytes, self.shutdownTimeout) = (maxBodyBytes, shutdownTimeout)
    }
}

/// An OpenAI-compatible server for one model: `/v1/completions` and `/v1/chat/completions` (streamed
/// as server-sent events when asked), `/v1/models`, `/health` and `/metrics`, over a
/// `GenerationService`, so requests join and leave one batched decode between its steps.
public final class Server: Sendable {
    /// The model every request runs on.
    public let model: Transformer
    /// What the server runs with.
    public let configuration: ServerConfiguration
    let service: GenerationService<Transformer>
    let metrics = ServerMetrics()
    /// The template of chat requests that name none.
    public let chatTemplate: PromptTemplate

    /// A server for `model`; its generation thread starts now, and `run` starts listening.
    public init(model: Transformer, configuration: ServerConfiguration) {
        self.model = model
        self.configuration = configuration
        service = GenerationService(model: model, limits: configuration.limits)
        chatTemplate = configuration.chatTemplate ?? model.ownTemplate ?? .tulu
    }

    /// The generation service's load and totals.
    public var statistics: GenerationService<Transformer>.Statistics { service.statistics }

    /// Serves until SIGTERM or SIGINT (or the task is cancelled), then shuts down gracefully: no new
    /// connections, requests in flight finished (cancelled after `shutdownTimeout`). `onListening` gets
    /// the port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let logger = Logger(label: "poe.serve")
        let application = Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "poe"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        var group = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        do {
            try await ServiceGroup(configuration: group).run()
        } catch {
            await service.shutdown(cancelling: true)
            throw error
        }
        await service.shutdown(cancelling: true)
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: APIErrorMiddleware())
        router.get("/health") { _, _ in Self.json(["status": .string("ok")]) }
        router.get("/metrics") { [self] _, _ in
            let statistics = service.statistics
            return metrics.exposition(queued: statistics.queued, running: statistics.running)
        }
        let v1 = router.group("v1")
        if let key = configuration.apiKey { v1.add(middleware: APIKeyMiddleware(key: key)) }
        v1.get("models") { [self] _, _ in
            var entry = JSONObject()
            entry["id"] = .string(configuration.modelName)
            entry["object"] = .string("model")
            entry["created"] = .int(0)
            entry["owned_by"] = .string("swift-poe")
            return Self.json(["object": .string("list"), "data": .array([.object(entry)])])
        }
        v1.post("completions") { [self] request, context in try await generate(request, context: context, chat: false) }
        v1.post("chat/completions") { [self] request, context in try await generate(request, context: context, chat: true) }
        return router
    }

    static func json(_ entries: KeyValuePairs<String, JSONValue>) -> Response {
        var object = JSONObject()
        for (key, value) in entries { object[key] = value }
        return json(.object(object))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.encoded())))
    }

    // MARK: - Generation

    private func generate(_ request: Request, context: BasicRequestContext, chat: Bool) async throws -> Response {
        let arrival = ContinuousClock.now
        let endpoint = chat ? "chat" : "completions"
        var request = request
        let job: GenerationJob
        let events: AsyncThrowingStream<GenerationEvent, any Error>
        do {
            let body = try await request.collectBody(upTo: configuration.maxBodyBytes)
            job = try GenerationJob(GenerationRequest(body: Array(body.readableBytesView), chat: chat), server: self)
            events = try service.submit(job.prompt, product: job.product, parameters: job.parameters)
        } catch let error as GenerationServiceError {
            metrics.count(endpoint: endpoint, outcome: "rejected")
            throw error == .shuttingDown
                ? APIError(.serviceUnavailable, "\(error)", type: "server_error", code: "shutting_down")
                : APIError(.tooManyRequests, "\(error); try again later", type: "rate_limit_error", code: "queue_full")
        } catch {
            metrics.count(endpoint: endpoint, outcome: "client_error")
            throw error
        }
        metrics.promptTokens.increment(by: Int64(job.prompt.tokens.count))
        let encoding = ResponseEncoding(model: configuration.modelName, chat: chat)
        let run = GenerationWatch(arrival: arrival, endpoint: endpoint, metrics: metrics)
        if job.stream {
            let request = request
            let body = ResponseBody { writer in
                try await run.stream(events, job: job, encoding: encoding, request: request, writer: &writer)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "close"], body: body)
        }
        let result = try await run.collect(events, request: request)
        var response = Self.json(encoding.response(result, logprobs: job.parameters.trace))
        response.headers[.connection] = "close"
        return response
    }
}

/// One request's generation as the server sees it: its events read, its metrics recorded.
///
/// Both ways of reading run inside `consumeWithCancellationOnInboundClose`, which cancels them when the
/// client closes its connection (so its place in the batch is freed at the next step); Hummingbird then
/// closes the connection after the response, which therefore says `Connection: close`, so that no
/// client sends its next request on a connection about to close.
struct GenerationWatch: Sendable {
    let arrival: ContinuousClock.Instant
    let endpoint: String
    let metrics: ServerMetrics

    /// The result; the generation is cancelled if the client goes away.
    func collect(_ events: AsyncThrowingStream<GenerationEvent, any Error>, request: Request) async throws -> GenerationResult {
        do {
            let result = try await request.body.consumeWithCancellationOnInboundClose { _ in
                var first = true
                for try await event in events {
                    if first, Self.isToken(event) {
                        metrics.timeToFirstToken.record(ContinuousClock.now - arrival)
                        first = false
                    }
                    if case let .finished(result) = event { return result }
                }
                throw CancellationError()
            }
            finished(result)
            return result
        } catch {
            throw failed(error)
        }
    }

    /// Server-sent events: a chunk per piece of text, the last with the finish reason, the usage if asked
    /// for, then `[DONE]`. A failure after the first byte is an `error` event (the status is sent).
    func stream(
        _ events: AsyncThrowingStream<GenerationEvent, any Error>, job: GenerationJob, encoding: ResponseEncoding, request: Request,
        writer: inout any ResponseBodyWriter
    ) async throws {
        func send(_ value: JSONValue) async throws {
            try await writer.write(ByteBuffer(bytes: Array("data: ".utf8) + value.encoded() + Array("\n\n".utf8)))
        }
        let trace = job.parameters.trace
        do {
            try await request.body.consumeWithCancellationOnInboundClose { _ in
                var first = true
                var records: [TraceRecord] = []
                if encoding.chat { try await send(encoding.chunk(text: "", records: nil, finishReason: nil, role: true)) }
                for try await event in events {
                    if first, Self.isToken(event) {
                        metrics.timeToFirstToken.record(ContinuousClock.now - arrival)
                        first = false
                    }
                    switch event {
                    case let .token(record):
                        records.append(record)
                    case let .text(text):
                        try await send(encoding.chunk(text: text, records: trace ? records : nil, finishReason: nil))
                        records = []
                    case let .finished(result):
                        // Records of tokens whose text has not shown (a held-back stop string), less the end token's.
                        if result.stopReason == .endOfGeneration, !records.isEmpty { records.removeLast() }
                        let reason = ResponseEncoding.finishReason(result.stopReason)
                        try await send(encoding.chunk(text: nil, records: trace && !records.isEmpty ? records : nil, finishReason: reason))
                        if job.includeUsage { try await send(encoding.usageChunk(prompt: result.promptTokens, completion: result.tokens.count)) }
                        finished(result)
                    }
                }
            }
        } catch is CancellationError {
            metrics.count(endpoint: endpoint, outcome: "cancelled")
            return
        } catch {
            var object = JSONObject()
            object["error"] = .object(failed(error).body)
            try? await send(.object(object))
        }
        try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
        try await writer.finish(nil)
    }

    private static func isToken(_ event: GenerationEvent) -> Bool {
        switch event {
        case .text, .token: true
        case .finished: false
        }
    }

    private func finished(_ result: GenerationResult) {
        metrics.count(endpoint: endpoint, outcome: "ok")
        metrics.generatedTokens.increment(by: Int64(result.tokens.count))
        metrics.duration.record(ContinuousClock.now - arrival)
        if result.tokens.count > 1 { metrics.tokensPerSecond.record(result.timings.generationTokensPerSecond) }
    }

    /// The error as the client should see it, counted.
    private func failed(_ error: any Error) -> APIError {
        switch error {
        case is CancellationError:
            metrics.count(endpoint: endpoint, outcome: "cancelled")
            return APIError(.init(code: 499), "the request was cancelled", type: "cancelled")
        case let error as GenerationServiceError:
            metrics.count(endpoint: endpoint, outcome: "rejected")
            return APIError(.tooManyRequests, "\(error)", type: "rate_limit_error", code: "queue_timeout")
        case let error as ProductError:
            metrics.count(endpoint: endpoint, outcome: "client_error")
            return APIError(.badRequest, "\(error)", param: "rules")
        default:
            metrics.count(endpoint: endpoint, outcome: "server_error")
            return APIError(.internalServerError, "\(error)", type: "server_error")
        }
    }
}
