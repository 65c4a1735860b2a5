import ArgumentParser
import Foundation
import PoE
import PoETransformer

struct LogitsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits",
        abstract: "Run token ids through a model and print the raw next-token logits.",
        discussion: """
            Position i is the distribution of the token after ids[0...i]. Nothing is added to the ids (no BOS). \
            With --json, one line per position: {"position": i, "logsumexp": L, "top": [[id, logit], ...]}.
            """
    )

    enum Positions: String, ExpressibleByArgument, CaseIterable { case all, last }

    @OptionGroup var model: ModelOption
    @Option(parsing: .unconditional, help: "Comma-separated token ids, e.g. 2,818,5279.") var ids: String
    @Option(help: "Which positions to print: all or last.") var positions: Positions = .last
    @Option(parsing: .unconditional, help: "How many of the largest logits to print per position.") var top: Int = 10
    @Flag(help: "Print JSON lines.") var json = false

    /// Positions run per forward pass when all are printed, which bounds the logits held at once.
    static let chunk = 64

    func validate() throws {
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
        _ = try parsedIDs()
    }

    func parsedIDs() throws -> [TokenID] {
        let parts = ids.split(separator: ",", omittingEmptySubsequences: false)
        return try parts.enumerated().map { index, part in
            guard let id = TokenID(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--ids item \(index + 1), '\(part)', is not a token id")
            }
            return id
        }
    }

    func run() throws {
        let tokens = try parsedIDs()
        let transformer = try model.load()
        let session = try transformer.makeSession()
        try transformer.vocabulary.validate(tokens)
        guard tokens.count <= session.capacity else {
            throw LanguageModelError.contextFull(needed: tokens.count, capacity: session.capacity)
        }
        switch positions {
        case .last:
            let logits = try session.append(tokens, logits: .last)
            try report(logits, row: 0, position: tokens.count - 1, vocabulary: transformer.vocabulary)
        case .all:
            var start = 0
            while start < tokens.count {
                let end = min(start + Self.chunk, tokens.count)
                let logits = try session.append(Array(tokens[start ..< end]), logits: .all)
                for row in 0 ..< logits.rows {
                    try report(logits, row: row, position: start + row, vocabulary: transformer.vocabulary)
                }
                start = end
            }
        }
    }

    private func report(_ logits: LogitMatrix, row: Int, position: Int, vocabulary: Vocabulary) throws {
        let best = logits.top(top, row: row)
        let lse = logits.logSumExp(row: row)
        if json {
            print(try jsonLine(PositionLogits(position: position, logsumexp: lse, top: best.map { ($0.id, $0.logit) })))
        } else {
            let entries = best.map { "\($0.id) \(vocabulary.pieces[Int($0.id)].debugDescription) \($0.logit)" }
            print("position \(position)  logsumexp \(lse)  top: \(entries.joined(separator: ", "))")
        }
    }
}

private struct PositionLogits: Encodable {
    let position: Int
    let logsumexp: Float
    let top: [(TokenID, Float)]

    enum Keys: String, CodingKey { case position, logsumexp, top }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(position, forKey: .position)
        try container.encode(logsumexp, forKey: .logsumexp)
        var list = container.nestedUnkeyedContainer(forKey: .top)
        for (id, logit) in top {
            var pair = list.nestedUnkeyedContainer()
            try pair.encode(id)
            try pair.encode(logit)
        }
    }
}
