import ArgumentParser
import Foundation
import PoE
import PoERules
import PoEServer
import PoETransformer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the model over OpenAI's API, with rule sets per request and continuous batching.",
        discussion: """
            Endpoints: POST /v1/completions, POST /v1/chat/completions (both stream with "stream": true), \
            GET /v1/models, GET /health, GET /metrics. Requests may add "rules" (a preset or a rule-set \
            object), "template", "ignore_eos", "top_k", "min_p" (docs/serving.md). SIGTERM or Ctrl-C \
            shuts down gracefully.
            """
    )

    @OptionGroup var model: ModelOption
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(parsing: .unconditional, help: "Port (0: any free port; the one chosen is printed).") var port = 8080
    @Option(name: .customLong("max-batch"), parsing: .unconditional, help: "Responses generated together.") var maxBatch = 16
    @Option(name: .customLong("max-queue"), parsing: .unconditional, help: "Requests that may wait for a place; more get 429.")
    var maxQueue = 64
    @Option(name: .customLong("queue-timeout"), parsing: .unconditional, help: "Seconds a request may wait for a place before it gets 429 (0: no limit).")
    var queueTimeout: Double = 0
    @Option(name: .customLong("prefill-budget"), parsing: .unconditional, help: "Prompt tokens taken in between two decode steps.")
    var prefillBudget = 512
    @Option(name: .customLong("api-key"), help: "Require Authorization: Bearer KEY on /v1 (default: $POE_API_KEY, else none).")
    var apiKey: String?
    @Option(help: "The rule set of requests that name none: a preset or a rule-set file.") var rules = "none"
    @Option(help: "The template of chats that name none (default: the model's own, else tulu): \(PromptTemplate.all.map(\.name).joined(separator: ", ")).")
    var template: String?
    @Option(name: .customLong("model-name"), help: "The model's name in /v1/models and responses (default: the --model value).")
    var modelName: String?
    @Option(name: .customLong("shutdown-timeout"), parsing: .unconditional, help: "Seconds a shutdown waits for requests in flight.")
    var shutdownTimeout: Double = 30

    func validate() throws {
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard maxBatch >= 1 else { throw ValidationError("--max-batch must be at least 1") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must be 0 or more") }
        guard queueTimeout >= 0, queueTimeout.isFinite else { throw ValidationError("--queue-timeout must be 0 or more seconds") }
        guard prefillBudget >= 1 else { throw ValidationError("--prefill-budget must be at least 1") }
        guard shutdownTimeout >= 0, shutdownTimeout.isFinite else { throw ValidationError("--shutdown-timeout must be 0 or more seconds") }
        if let template, PromptTemplate.named(template) == nil {
            throw ValidationError("unknown template '\(template)' (one of \(PromptTemplate.all.map(\.name).joined(separator: ", ")))")
        }
    }

    func run() async throws {
        let transformer = try model.load()
        let ruleSet = try RuleSet.load(rules)
        let limits = GenerationService<Transformer>.Limits(
            maxBatch: maxBatch, maxQueue: maxQueue, queueTimeout: queueTimeout > 0 ? .seconds(queueTimeout) : nil, prefillBudget: prefillBudget)
        let configuration = ServerConfiguration(
            host: host, port: port, modelName: modelName ?? model.model, limits: limits,
            apiKey: apiKey ?? ProcessInfo.processInfo.environment["POE_API_KEY"].flatMap { $0.isEmpty ? nil : $0 },
            defaultRules: ruleSet.name, defaultProduct: try PoECommandLine.product(of: [ruleSet], for: transformer),
            chatTemplate: template.flatMap(PromptTemplate.named), shutdownTimeout: .seconds(shutdownTimeout))
        let server = Server(model: transformer, configuration: configuration)
        if template == nil, transformer.ownTemplate == nil {
            printError("the model has no chat template swift-poe knows: chats use \(server.chatTemplate.name) unless a request names one")
        }
        try await server.run { port in
            // Unbuffered, so that a script reading the port sees the line at once.
            try? writeStandardOutput("poe serve: \(configuration.modelName) on http://\(host):\(port) (chat template \(server.chatTemplate.name), rules \(ruleSet.name))\n")
        }
    }
}
