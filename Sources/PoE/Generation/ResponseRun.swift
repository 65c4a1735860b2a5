import Foundation

/// One response being generated: everything a generation does between two forward passes, so that a
/// lone sequence and a batch stepped together run the same code, and give the same tokens.
///
/// Made with a new session; `prefill` runs the prompt through it, whole or a chunk at a time (so that a
/// batch can take in a newcomer's prompt between its steps). Then `next` chooses a token from `logits`
/// and says whether the response goes on, the caller runs that token through the model and hands back
/// the new logits with `receive`, and `finish` gives the result.
final class ResponseRun<Model: LanguageModel> {
    let session: Model.Session
    /// The base model's logits for the next choice: row `logitRow` of `logits` (a batch's matrix is
    /// shared by its rows, not copied).
    private var logits: LogitMatrix
    private var logitRow = 0
    /// The product's logits for the next choice: the base's plus the experts' (allocated once).
    private var product: [Float]

    private let prompt: Prompt
    private let state: ProductState
    private let parameters: GenerationParameters
    private let tokenizer: Model.TextTokenizer
    private let endOfGeneration: Set<TokenID>
    private var sampler: Sampler
    private var decoder: StreamingDecoder
    private var stops: StopStringMatcher
    private var tokens: [TokenID]
    private var generated: [TokenID] = []
    private var text = ""
    private var trace: [TraceRecord] = []
    private var stopReason = StopReason.length
    private var stopToken: TokenID?

    /// Prompt tokens run through the session so far.
    private var prefilled = 0
    private var promptSeconds = 0.0
    private var generationStart = ContinuousClock.now

    /// Frames `instruction` with the parameters' template and makes a session for it.
    convenience init(model: Model, instruction: String, product: ProductOfExperts, parameters: GenerationParameters) throws {
        let prompt = try parameters.template.prompt(for: instruction, tokenizer: model.tokenizer)
        try self.init(model: model, prompt: prompt, product: product, parameters: parameters)
    }

    /// A new session for `prompt`, which must leave room for at least one response token.
    init(model: Model, prompt: Prompt, product: ProductOfExperts, parameters: GenerationParameters) throws {
        tokenizer = model.tokenizer
        self.prompt = prompt
        session = try model.makeSession()
        guard !prompt.tokens.isEmpty else { throw LanguageModelError.emptyInput }
        guard prompt.tokens.count < session.capacity else {
            throw LanguageModelError.contextFull(needed: prompt.tokens.count + 1, capacity: session.capacity)
        }
        try model.vocabulary.validate(prompt.tokens)
        logits = .empty(columns: model.vocabulary.count)
        self.product = [Float](repeating: 0, count: model.vocabulary.count)
        self.parameters = parameters
        state = try product.start(prompt)
        endOfGeneration = model.vocabulary.endOfGeneration
        sampler = Sampler(parameters.sampling)
        decoder = StreamingDecoder(tokenizer: tokenizer)
        stops = StopStringMatcher(parameters.stopStrings)
        tokens = prompt.tokens
    }

    /// Whether the whole prompt has been run, so that `next` can choose.
    var isPrefilled: Bool { prefilled == prompt.tokens.count }

    /// Runs the next `chunks` of the prompt's chunks (the session's own, `chunkSize` tokens each counted
    /// from the prompt's start, so a prompt taken in piece by piece is computed exactly as one taken whole)
    /// and returns how many tokens it ran.
    @discardableResult
    func prefill(chunks: Int = .max) throws -> Int {
        let start = ContinuousClock.now
        let available = prompt.tokens.count - prefilled, size = max(1, session.chunkSize)
        let pieces = available / size + (available % size == 0 ? 0 : 1)
        let end = chunks >= pieces ? prompt.tokens.count : prefilled + chunks * size
        let piece = Array(prompt.tokens[prefilled ..< end])
        let isLast = end == prompt.tokens.count
        let result = try session.append(piece, logits: isLast ? .last : .none)
        prefilled = end
        promptSeconds += (ContinuousClock.now - start).seconds
        if isLast {
            logits = result
            generationStart = ContinuousClock.now
        }
        return piece.count
    }

    /// Chooses the next token (base logits → experts → sampler) and reports it. Returns the token to run
    /// through the model, or nil when the response has ended (end of generation, a stop string, the token
    /// limit or a full context).
    func next(onEvent: (GenerationEvent) -> Void) throws -> TokenID? {
        let (token, record) = try choose()
        if let record {
            trace.append(record)
            onEvent(.token(record))
        }
        if endOfGeneration.contains(token) {
            stopReason = .endOfGeneration
            stopToken = token
            return nil
        }
        generated.append(token)
        tokens.append(token)
        try state.accept(token)
        if release(decoder.append(token), onEvent: onEvent) {
            stopReason = .stop
            return nil
        }
        guard generated.count < parameters.maxTokens else { return nil }
        guard tokens.count < session.capacity else {
            stopReason = .contextFull
            return nil
        }
        return token
    }

    /// The logits after the token `next` returned: row `row` of `matrix`.
    func receive(_ matrix: LogitMatrix, row: Int = 0) {
        logits = matrix
        logitRow = row
    }

    /// Releases any text held back and returns the result.
    func finish(onEvent: (GenerationEvent) -> Void) -> GenerationResult {
        if stopReason != .stop {
            if release(decoder.finish(), onEvent: onEvent) { stopReason = .stop }
            let rest = stops.flush()
            if stopReason != .stop, !rest.isEmpty {
                text += rest
                onEvent(.text(rest))
            }
        }
        let generationSeconds = (ContinuousClock.now - generationStart).seconds
        let result = GenerationResult(
            text: text, tokens: generated, stopToken: stopToken, promptTokens: prompt.tokens.count, stopReason: stopReason,
            timings: GenerationTimings(
                promptSeconds: promptSeconds, generationSeconds: generationSeconds,
                promptTokensPerSecond: Double(prompt.tokens.count) / max(promptSeconds, 1e-9),
                generationTokensPerSecond: Double(generated.count) / max(generationSeconds, 1e-9)),
            trace: trace)
        onEvent(.finished(result))
        return result
    }

    /// The experts' scores added to the base logits, and the sampler's choice; with a trace, its record.
    private func choose() throws -> (TokenID, TraceRecord?) {
        let step = generated.count
        let (tokens, prompt, state, tracing, tokenizer) = (tokens, prompt, state, parameters.trace, tokenizer)
        let columns = logits.columns, first = logitRow * columns
        return try logits.values.withUnsafeBufferPointer { all -> (TokenID, TraceRecord?) in
            let base = UnsafeBufferPointer(rebasing: all[first ..< first + columns])
            return try product.withUnsafeMutableBufferPointer { row -> (TokenID, TraceRecord?) in
                let scores = try state.combine(ExpertStep(tokens: tokens, prompt: prompt, baseLogits: base), into: row)
                if parameters.ignoreEndOfGeneration {
                    for id in endOfGeneration where Int(id) < row.count { row[Int(id)] = -.infinity }
                }
                let token = sampler.sample(UnsafeBufferPointer(row))
                guard tracing else { return (token, nil) }
                let baseTop = argmax(base)
                let piece = { (id: TokenID) in String(decoding: tokenizer.pieceBytes(id, renderSpecial: true), as: UTF8.self) }
                let (baseNorm, productNorm) = (logSumExp(base), logSumExp(UnsafeBufferPointer(row)))
                return (token, TraceRecord(
                    step: step, token: token, piece: piece(token),
                    baseLogProbability: base[Int(token)] - baseNorm,
                    contributions: zip(state.names, zip(state.experts, scores)).map { name, pair in
                        TraceRecord.Contribution(expert: name, score: pair.0.weight * pair.1.score(of: token))
                    },
                    finalProbability: exp(row[Int(token)] - productNorm), finalLogProbability: row[Int(token)] - productNorm,
                    baseTopToken: baseTop, baseTopPiece: piece(baseTop), changedByExperts: token != baseTop,
                    alternatives: top(parameters.topAlternatives, of: UnsafeBufferPointer(row)).map { id, _ in
                        TraceRecord.Alternative(
                            token: id, piece: piece(id), logProbability: row[Int(id)] - productNorm,
                            baseLogProbability: base[Int(id)] - baseNorm)
                    }))
            }
        }
    }

    /// Passes decoded text through the stop-string matcher; true if a stop string appeared.
    private func release(_ chunk: String, onEvent: (GenerationEvent) -> Void) -> Bool {
        let (released, stopped) = stops.receive(chunk)
        if !released.isEmpty {
            text += released
            onEvent(.text(released))
        }
        return stopped
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    package var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
