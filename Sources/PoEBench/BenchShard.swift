import Foundation

/// One of N disjoint parts of a bench's work (`--shard K/N`, K from 1): the (rule set, instruction) pairs
/// taken in order, rule set by rule set, and dealt out in turn, so that every part has about as many of
/// each rule set's responses and of the instructions' lengths.
public struct BenchShard: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Which part, from 1.
    public var index: Int
    /// How many parts.
    public var count: Int

    /// Part `index` of `count`; throws unless `1 ≤ index ≤ count`.
    public init(index: Int, count: Int) throws(BenchError) {
        guard count >= 1, (1 ... count).contains(index) else {
            throw .option("shard \(index)/\(count) is not one of 1/\(max(count, 1)) to \(max(count, 1))/\(max(count, 1))")
        }
        self.index = index
        self.count = count
    }

    /// `K/N`.
    public init(_ text: String) throws(BenchError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1, (1 ... count).contains(index) else {
            throw .option("--shard takes K/N with 1 ≤ K ≤ N (as 2/4), not '\(text)'")
        }
        try self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether this shard holds rule set `ruleSet`'s (by position) response to instruction `instruction`.
    public func holds(ruleSet: Int, instruction: Int, instructions: Int) -> Bool {
        (ruleSet * instructions + instruction) % count == index - 1
    }
}

extension BenchReport {
    /// The whole report from its shards' reports (`paths` name them in errors): they must be parts of one
    /// bench (the same settings, instruction file and rule sets, each part once, no record twice), and,
    /// unless `allowPartial`, together hold every part. Records come in the order one unsharded run writes
    /// them; each rule set's generation time and tokens are the parts' sums; a judge's results are left
    /// out, as the merged responses have not been judged together.
    public static func merge(_ parts: [BenchReport], paths: [String], allowPartial: Bool) throws(BenchError) -> BenchReport {
        guard let first = parts.first else { throw .merge(path: "(nothing)", reason: "no shard reports were given") }
        var seenShards: [Int: String] = [:]
        for (part, path) in zip(parts, paths) {
            guard let shard = part.shard else { throw .merge(path: path, reason: "it is not a shard's report (it was run without --shard)") }
            guard shard.count == first.shard?.count else {
                throw .merge(path: path, reason: "it is shard \(shard), of a bench split \(shard.count) ways, but \(paths[0]) is of one split \(first.shard?.count ?? 0) ways")
            }
            if let other = seenShards.updateValue(path, forKey: shard.index) {
                throw .merge(path: path, reason: "it is shard \(shard), as \(other) is")
            }
            guard part.configuration.instructionsSHA256 != nil, part.configuration.instructionCount != nil else {
                throw .merge(path: path, reason: "its report does not record its instruction file's hash (it was made by an older poe bench)")
            }
            for (field, same) in [
                ("settings (model, adapters, instructions, template, token limit, limit)", part.configuration == first.configuration),
                ("rule sets", part.ruleSets.map(\.definition) == first.ruleSets.map(\.definition)),
            ] where !same {
                throw .merge(path: path, reason: "its \(field) differ from those of \(paths[0]); it is not part of the same bench")
            }
        }
        let count = first.shard?.count ?? 1
        if !allowPartial, seenShards.count < count {
            let missing = (1 ... count).filter { seenShards[$0] == nil }.map { "\($0)/\(count)" }
            throw .merge(path: paths.joined(separator: ", "), reason: "shards \(missing.joined(separator: ", ")) are missing (--allow-partial merges without them)")
        }

        var merged = first
        merged.shard = nil
        merged.judge = nil
        var byKey: [String: BenchRecord] = [:]
        for (part, path) in zip(parts, paths) {
            for record in part.records {
                let key = "\(record.ruleSet)\u{0}\(record.index)"
                guard byKey.updateValue(record, forKey: key) == nil else {
                    throw .merge(path: path, reason: "its record of '\(record.ruleSet)' for instruction \(record.index + 1) is also in another shard")
                }
            }
        }
        let instructions = first.configuration.instructionCount ?? 0
        merged.records = first.ruleSets.flatMap { entry in (0 ..< instructions).compactMap { byKey["\(entry.name)\u{0}\($0)"] } }
        guard merged.records.count == byKey.count else {
            throw .merge(path: paths.joined(separator: ", "), reason: "some records name a rule set or an instruction outside the bench")
        }
        for r in merged.ruleSets.indices {
            merged.ruleSets[r].generationSeconds = parts.map { $0.ruleSets[r].generationSeconds }.reduce(0, +)
            merged.ruleSets[r].generatedTokens = parts.map { $0.ruleSets[r].generatedTokens }.reduce(0, +)
        }
        merged.summarize()
        if merged.records.count < first.ruleSets.count * instructions { merged.complete = false }
        return merged
    }
}
