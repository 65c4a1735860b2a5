import PoE
import PoERules
import PoETransformer

/// A request made ready to generate: its prompt through the template, its product (the rule set, then
/// `logit_bias` and the frequency and presence penalties as experts), and the generation's parameters.
struct GenerationJob: Sendable {
    let prompt: Prompt
    let product: ProductOfExperts
    let parameters: GenerationParameters
    let stream: Bool
    let includeUsage: Bool

    /// Completions default to 16 tokens, as OpenAI's do; chats to the rest of the context.
    static let defaultCompletionTokens = 16

    init(_ request: GenerationRequest, server: Server) throws(APIError) {
        let model = server.model
        let template: PromptTemplate
        switch request.template {
        case nil: template = request.isChat ? server.chatTemplate : .raw
        case "model"?:
            guard let own = model.ownTemplate else {
                throw .invalid("template", "the model has no chat template swift-poe knows; name one (\(PromptTemplate.all.map(\.name).joined(separator: ", ")))")
            }
            template = own
        case let name?:
            guard let named = PromptTemplate.named(name) else {
                throw .invalid("template", "unknown template '\(name)' (model, \(PromptTemplate.all.map(\.name).joined(separator: ", ")))")
            }
            template = named
        }
        let field = request.isChat ? "messages" : "prompt"
        do {
            switch request.input {
            case let .prompt(text): prompt = try template.prompt(for: text, tokenizer: model.tokenizer)
            case let .messages(messages): prompt = try template.prompt(for: messages, tokenizer: model.tokenizer)
            }
        } catch {
            throw .invalid(field, "cannot be tokenized: \(error)")
        }
        let context = model.contextLength
        guard prompt.tokens.count < context else {
            throw APIError(
                .badRequest, "\(field): the prompt is \(prompt.tokens.count) tokens, and the context holds \(context) (with room for one response token)",
                param: field, code: "context_length_exceeded")
        }
        if let maxTokens = request.maxTokens, maxTokens > context {
            throw .invalid(request.isChat ? "max_tokens" : "max_tokens", "\(maxTokens) is more than the context's \(context) tokens")
        }
        let maxTokens = request.maxTokens ?? (request.isChat ? context - prompt.tokens.count : Self.defaultCompletionTokens)

        var experts: [WeightedExpert]
        do {
            if let rules = request.rules {
                experts = try rules.build(RuleBuildContext(tokenizer: model.tokenizer))
            } else {
                experts = server.configuration.defaultProduct.experts
            }
        } catch {
            throw APIError(.badRequest, "rules: \(error)", param: "rules")
        }
        let vocabulary = model.vocabulary.count
        if let (id, _) = request.logitBias.first(where: { Int($0.0) >= vocabulary }) {
            throw .invalid("logit_bias", "token id \(id) is outside the vocabulary (0..<\(vocabulary))")
        }
        if !request.logitBias.isEmpty { experts.append(WeightedExpert(TokenBias(ids: request.logitBias, name: "logitBias"))) }
        if request.frequencyPenalty != 0 || request.presencePenalty != 0 {
            experts.append(WeightedExpert(FrequencyPresencePenalty(frequency: request.frequencyPenalty, presence: request.presencePenalty)))
        }
        do {
            product = try ProductOfExperts(experts, vocabulary: model.vocabulary)
        } catch {
            throw APIError(.badRequest, "rules: \(error)", param: "rules")
        }
        parameters = GenerationParameters(
            template: template, maxTokens: maxTokens, sampling: request.sampling, stopStrings: request.stop,
            trace: request.logprobs != nil, topAlternatives: request.logprobs ?? 0, ignoreEndOfGeneration: request.ignoreEOS)
        stream = request.stream
        includeUsage = request.includeUsage
    }
}
