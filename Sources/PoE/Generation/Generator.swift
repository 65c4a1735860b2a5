import Foundation

/// Generates responses: template → ids → prefill → (base logits → experts → sampler → stop checks)*.
public struct Generator<Model: LanguageModel>: Sendable {
    public let model: Model
    public let product: ProductOfExperts
    public let parameters: GenerationParameters

    public init(model: Model, product: ProductOfExperts = .none, parameters: GenerationParameters = GenerationParameters()) {
        self.model = model
        self.product = product
        self.parameters = parameters
    }

    /// Generates a response to `instruction`, reporting events as they happen.
    public func generate(_ instruction: String, onEvent: (GenerationEvent) -> Void = { _ in }) throws -> GenerationResult {
        let tokenizer = model.tokenizer
        let vocabulary = model.vocabulary
        let prompt = try parameters.template.prompt(for: instruction, tokenizer: tokenizer)
        let session = try model.makeSession()
        guard prompt.tokens.count < session.capacity else {
            throw LanguageModelError.contextFull(needed: prompt.tokens.count + 1, capacity: session.capacity)
        }

        let promptStart = ContinuousClock.now
        var logits = try session.append(prompt.tokens, logits: .last)
        let promptTime = ContinuousClock.now - promptStart
        let generationStart = ContinuousClock.now

        let state = try product.start(prompt)
        let names = product.names
        var sampler = Sampler(parameters.sampling)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var stops = StopStringMatcher(parameters.stopStrings)
        var tokens = prompt.tokens
        var generated: [TokenID] = []
        var text = ""
        var trace: [TraceRecord] = []
        var stopReason = StopReason.length
        var stopToken: TokenID?

        func release(_ chunk: String) -> Bool {
            let (released, stopped) = stops.receive(chunk)
            if !released.isEmpty {
                text += released
                onEvent(.text(released))
            }
            return stopped
        }

        generation: while generated.count < parameters.maxTokens {
            let (token, record) = try logits.values.withUnsafeMutableBufferPointer { row in
                let base = UnsafeBufferPointer(row)
                // For the trace: the base model's own view, before the experts add theirs.
                let baseLogSumExp = parameters.trace ? logSumExp(base) : 0
                let baseTop = parameters.trace ? argmax(base) : 0
                let baseScores = parameters.trace ? [Float](base) : []
                let scores = try state.apply(to: row, step: ExpertStep(tokens: tokens, prompt: prompt, baseLogits: base))
                let token = sampler.sample(UnsafeBufferPointer(row))
                guard parameters.trace else { return (token, TraceRecord?.none) }
                let piece = { (id: TokenID) in String(decoding: tokenizer.decodeBytes([id], renderSpecial: true), as: UTF8.self) }
                return (token, TraceRecord(
                    step: generated.count, token: token, piece: piece(token),
                    baseLogProbability: baseScores[Int(token)] - baseLogSumExp,
                    contributions: zip(names, zip(product.experts, scores)).map { name, pair in
                        TraceRecord.Contribution(expert: name, score: pair.0.weight * pair.1.score(of: token))
                    },
                    finalProbability: exp(row[Int(token)] - logSumExp(UnsafeBufferPointer(row))),
                    baseTopToken: baseTop, baseTopPiece: piece(baseTop), changedByExperts: token != baseTop))
            }
            if let record {
                trace.append(record)
                onEvent(.token(record))
            }
            if vocabulary.endOfGeneration.contains(token) {
                stopReason = .endOfGeneration
                stopToken = token
                break generation
            }
            if Task.isCancelled { throw CancellationError() }
            generated.append(token)
            tokens.append(token)
            try state.accept(token)
            if release(decoder.append(token)) {
                stopReason = .stop
                break generation
            }
            guard generated.count < parameters.maxTokens, tokens.count < session.capacity else { break generation }
            logits = try session.append([token], logits: .last)
        }
        if stopReason != .stop {
            if release(decoder.finish()) { stopReason = .stop }
            let rest = stops.flush()
            if stopReason != .stop, !rest.isEmpty {
                text += rest
                onEvent(.text(rest))
            }
        }

        let generationTime = ContinuousClock.now - generationStart
        let result = GenerationResult(
            text: text, tokens: generated, stopToken: stopToken, promptTokens: prompt.tokens.count, stopReason: stopReason,
            timings: GenerationTimings(
                promptSeconds: promptTime.seconds, generationSeconds: generationTime.seconds,
                promptTokensPerSecond: Double(prompt.tokens.count) / max(promptTime.seconds, 1e-9),
                generationTokensPerSecond: Double(generated.count) / max(generationTime.seconds, 1e-9)),
            trace: trace)
        onEvent(.finished(result))
        return result
    }

    /// The same as an asynchronous stream of events; the work runs on a background task.
    public func stream(_ instruction: String) -> AsyncThrowingStream<GenerationEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task.detached {
                do {
                    _ = try self.generate(instruction) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
