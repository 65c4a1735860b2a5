import Foundation
import Hummingbird
import Prometheus

/// What `GET /metrics` reports, in Prometheus's text format: requests by endpoint and outcome, the
/// queue and the batch, tokens in and out (`rate(poe_generated_tokens_total[1m])` is tokens/s), and
/// histograms of time to first token, request duration and each response's generation speed.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let requests: [String: Counter]
    let promptTokens: Counter
    let generatedTokens: Counter
    let queued: Gauge
    let running: Gauge
    let timeToFirstToken: DurationHistogram
    let duration: DurationHistogram
    let tokensPerSecond: ValueHistogram

    static let endpoints = ["completions", "chat"]
    static let outcomes = ["ok", "client_error", "rejected", "server_error", "cancelled"]

    init() {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "poe", metricName: metric, unitName: unit, helpText: help)
        }
        var requests: [String: Counter] = [:]
        for endpoint in Self.endpoints {
            for outcome in Self.outcomes {
                requests["\(endpoint)/\(outcome)"] = registry.makeCounter(
                    descriptor: name("requests", "total", "Generation requests by endpoint and outcome."),
                    labels: [("endpoint", endpoint), ("outcome", outcome)])
            }
        }
        self.requests = requests
        promptTokens = registry.makeCounter(descriptor: name("prompt_tokens", "total", "Prompt tokens taken in."))
        generatedTokens = registry.makeCounter(descriptor: name("generated_tokens", "total", "Response tokens generated."))
        queued = registry.makeGauge(descriptor: name("queue", "requests", "Requests waiting for a place in the batch."))
        running = registry.makeGauge(descriptor: name("batch", "requests", "Requests being generated."))
        let seconds: [Duration] = [.milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30)]
        timeToFirstToken = registry.makeDurationHistogram(
            descriptor: name("time_to_first_token", "seconds", "From a request's arrival to its first token."), buckets: seconds)
        duration = registry.makeDurationHistogram(
            descriptor: name("request_duration", "seconds", "From a request's arrival to its last byte."), buckets: seconds + [.seconds(60), .seconds(120)])
        tokensPerSecond = registry.makeValueHistogram(
            descriptor: name("generation_speed", "tokens_per_second", "Each response's tokens a second, from its first token to its last."),
            buckets: [1, 2, 5, 10, 20, 40, 80, 160, 320])
    }

    func count(endpoint: String, outcome: String) { requests["\(endpoint)/\(outcome)"]?.increment() }

    /// The exposition, with the queue and batch gauges read now.
    func exposition(queued: Int, running: Int) -> Response {
        self.queued.set(to: Double(queued))
        self.running.set(to: Double(running))
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
