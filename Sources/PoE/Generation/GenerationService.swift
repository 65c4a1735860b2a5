import Dispatch
import Foundation
import Synchronization

/// Generates responses to requests that arrive at any time from any task, by continuous batching: one
/// thread of its own runs `ContinuousBatch` steps, and between two steps requests join (their prompts
/// taken in a bounded number of tokens a step, so a newcomer does not stall the others for long) and
/// leave (finished, failed, or given up by their caller).
///
/// Each request has its own session, experts' state and sampler seed: its tokens are those
/// `Generator.generate` gives for the same prompt and settings, whatever else is running.
public final class GenerationService<Model: LanguageModel>: Sendable {
    /// How much the service takes on at once.
    public struct Limits: Sendable, Equatable {
        /// Responses stepped together.
        public var maxBatch: Int
        /// Requests waiting for a place in the batch; more are refused (`GenerationServiceError.queueFull`).
        public var maxQueue: Int
        /// How long a request may wait for a place before it is refused (nil: as long as it takes).
        public var queueTimeout: Duration?
        /// Prompt tokens a step takes in before its decode (rounded up to the session's chunks).
        public var prefillBudget: Int

        /// Limits; each is at least 1 (`maxQueue` at least 0).
        public init(maxBatch: Int = 16, maxQueue: Int = 64, queueTimeout: Duration? = nil, prefillBudget: Int = 512) {
            self.maxBatch = max(1, maxBatch)
            self.maxQueue = max(0, maxQueue)
            self.queueTimeout = queueTimeout
            self.prefillBudget = max(1, prefillBudget)
        }
    }

    /// A snapshot of the service's load and totals.
    public struct Statistics: Sendable, Equatable {
        /// Requests waiting for a place, and being generated.
        public var queued = 0, running = 0
        /// Totals since the service started: requests finished (with a result), failed, cancelled by their
        /// callers; tokens of prompts taken in and of responses generated; steps run.
        public var finished = 0, failed = 0, cancelled = 0, promptTokens = 0, generatedTokens = 0, steps = 0
    }

    private struct Request: Sendable {
        let id: Int
        let prompt: Prompt
        let product: ProductOfExperts
        let parameters: GenerationParameters
        let continuation: AsyncThrowingStream<GenerationEvent, any Error>.Continuation
        let deadline: ContinuousClock.Instant?
    }

    private struct Shared: Sendable {
        var queue: [Request] = []
        var cancelled: Set<Int> = []
        var nextID = 0
        var stopping = false
        var cancelAll = false
        var exited = false
        var statistics = Statistics()
    }

    /// The model every request runs on.
    public let model: Model
    /// The service's limits.
    public let limits: Limits
    private let shared = Mutex(Shared())
    /// Signalled when there is something for an idle loop to do.
    private let wake = DispatchSemaphore(value: 0)

    /// Starts a service (and its thread) for `model`.
    public init(model: Model, limits: Limits = Limits()) {
        self.model = model
        self.limits = limits
        // A thread of its own, not a task: a step computes for tens of milliseconds without a suspension
        // point, which would hold one of the cooperative pool's few threads the whole time.
        let thread = Thread { [self] in self.loop() }
        thread.name = "poe-generation"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues a request and returns its events: text as it is generated (and trace records, if the
    /// parameters ask for them), then `.finished`. The stream ends with an error if the request fails
    /// (its prompt does not fit, an expert's scores are not a distribution, it waited past the queue's
    /// timeout); ending the stream early (cancelling the task that reads it) cancels the request at the
    /// next step.
    public func submit(
        _ prompt: Prompt, product: ProductOfExperts = .none, parameters: GenerationParameters
    ) throws(GenerationServiceError) -> AsyncThrowingStream<GenerationEvent, any Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, any Error>.makeStream()
        let deadline = limits.queueTimeout.map { ContinuousClock.now + $0 }
        let id = try shared.withLock { state throws(GenerationServiceError) -> Int in
            if state.stopping { throw .shuttingDown }
            if state.queue.count >= limits.maxQueue { throw .queueFull(limit: limits.maxQueue) }
            let id = state.nextID
            state.nextID += 1
            state.queue.append(Request(id: id, prompt: prompt, product: product, parameters: parameters, continuation: continuation, deadline: deadline))
            state.statistics.queued = state.queue.count
            return id
        }
        continuation.onTermination = { [weak self] termination in
            guard case .cancelled = termination, let self else { return }
            self.shared.withLock { _ = $0.cancelled.insert(id) }
            self.wake.signal()
        }
        wake.signal()
        return stream
    }

    /// The load now, and the totals so far.
    public var statistics: Statistics { shared.withLock { $0.statistics } }

    /// Stops taking requests; those queued or running are finished, or, with `cancelling`, ended with a
    /// `CancellationError`. Returns when the loop has stopped.
    public func shutdown(cancelling: Bool = false) async {
        shared.withLock {
            $0.stopping = true
            if cancelling { $0.cancelAll = true }
        }
        wake.signal()
        while !shared.withLock({ $0.exited }) { try? await Task.sleep(for: .milliseconds(10)) }
    }

    // MARK: - The loop

    private func loop() {
        let batch = ContinuousBatch(model: model, prefillBudget: limits.prefillBudget)
        var running: [Int: Request] = [:]
        while true {
            // Between two steps: cancellations, expired and new requests.
            let now = ContinuousClock.now
            let (newcomers, refused, cancelled, stopping) = shared.withLock { state in
                var cancelled = state.cancelled
                state.cancelled = []
                if state.cancelAll {
                    cancelled.formUnion(running.keys)
                    cancelled.formUnion(state.queue.map(\.id))
                }
                // Requests that leave the queue unserved: cancelled by their callers, or out of time.
                let refused = state.queue.filter { request in
                    cancelled.contains(request.id) || request.deadline.map { $0 < now } ?? false
                }
                state.queue.removeAll { request in refused.contains { $0.id == request.id } }
                let newcomers = Array(state.queue.prefix(max(0, limits.maxBatch - batch.count)))
                state.queue.removeFirst(newcomers.count)
                state.statistics.queued = state.queue.count
                return (newcomers, refused, cancelled, state.stopping)
            }
            for request in refused {
                let wasCancelled = cancelled.contains(request.id)
                request.continuation.finish(throwing: wasCancelled ? CancellationError() : GenerationServiceError.queueTimeout)
                shared.withLock { wasCancelled ? ($0.statistics.cancelled += 1) : ($0.statistics.failed += 1) }
            }
            for id in cancelled {
                guard let request = running.removeValue(forKey: id) else { continue }
                batch.remove(id: id)
                request.continuation.finish(throwing: CancellationError())
                shared.withLock { $0.statistics.cancelled += 1 }
            }
            for request in newcomers {
                do {
                    batch.add(id: request.id, run: try ResponseRun(model: model, prompt: request.prompt, product: request.product, parameters: request.parameters))
                    running[request.id] = request
                    shared.withLock { $0.statistics.promptTokens += request.prompt.tokens.count }
                } catch {
                    request.continuation.finish(throwing: error)
                    shared.withLock { $0.statistics.failed += 1 }
                }
            }
            if batch.isEmpty {
                shared.withLock { $0.statistics.running = 0 }
                // Stopping with nothing queued (the queue is taken in whenever the batch has room).
                if stopping, newcomers.isEmpty { break }
                wake.wait()
                continue
            }
            var (finished, failed, generated) = (0, 0, 0)
            do {
                try batch.step(
                    onEvent: { id, event in running[id]?.continuation.yield(event) },
                    onEnd: { id, outcome in
                        guard let request = running.removeValue(forKey: id) else { return }
                        switch outcome {
                        case let .success(result):
                            // The `.finished` event has gone out with the others.
                            request.continuation.finish()
                            finished += 1
                            generated += result.tokens.count
                        case let .failure(error):
                            request.continuation.finish(throwing: error)
                            failed += 1
                        }
                    })
            } catch {
                // The batched decode failed (the model's own error): every response in it fails.
                for (id, request) in running {
                    batch.remove(id: id)
                    request.continuation.finish(throwing: error)
                }
                failed += running.count
                running = [:]
            }
            let count = running.count
            shared.withLock { state in
                state.statistics.running = count
                state.statistics.finished += finished
                state.statistics.failed += failed
                state.statistics.generatedTokens += generated
                state.statistics.steps += 1
            }
        }
        shared.withLock {
            $0.statistics.running = 0
            $0.exited = true
        }
    }
}

/// Why `GenerationService` did not take or finish a request.
public enum GenerationServiceError: Error, Equatable, CustomStringConvertible {
    /// The queue already holds `limit` requests.
    case queueFull(limit: Int)
    /// The request waited longer than the queue's timeout for a place in the batch.
    case queueTimeout
    /// The service is stopping and takes no more requests.
    case shuttingDown

    public var description: String {
        switch self {
        case let .queueFull(limit): "the queue is full (\(limit) requests are waiting)"
        case .queueTimeout: "the request waited in the queue longer than its timeout"
        case .shuttingDown: "the service is shutting down"
        }
    }
}
