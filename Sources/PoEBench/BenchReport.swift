import Foundation
import PoE
import PoERules

/// Everything a benchmark run produced, as `report.json` holds it: its settings, the rule sets, one
/// record per (rule set, instruction) and the summary table. A partial report (interrupted, or still
/// running) has the same shape, with the unfinished parts null, and `complete` false.
public struct BenchReport: Sendable, Codable, Equatable {
    /// What determines the outputs.
    public var configuration: BenchConfiguration
    /// The rule sets, in the order they were given.
    public var ruleSets: [RuleSetEntry]
    /// One record per (rule set, instruction), rule set by rule set.
    public var records: [BenchRecord]
    /// One row per rule set.
    public var summary: [RuleSetSummary]
    /// Whether every record is generated and scored.
    public var complete: Bool
    /// The part of the bench this report holds, when it is one of several (`--shard K/N`).
    public var shard: BenchShard?
    /// Win rates from a judge model, when one was asked (`--judge`); nil after the responses change.
    public var judge: JudgeResults?

    enum CodingKeys: String, CodingKey {
        case configuration, records = "generations", summary, complete, shard, judge
        case ruleSets = "rule_sets"
    }

    /// A new, empty report: a record for each rule set and instruction (those of its shard), nothing done.
    public init(configuration: BenchConfiguration, ruleSets: [RuleSet], instructions: [BenchInstruction], shard: BenchShard? = nil) {
        self.configuration = configuration
        self.ruleSets = ruleSets.map { RuleSetEntry(definition: $0) }
        self.shard = shard
        records = ruleSets.enumerated().flatMap { r, ruleSet in
            instructions.enumerated().compactMap { index, item in
                guard shard?.holds(ruleSet: r, instruction: index, instructions: instructions.count) ?? true else { return nil }
                return BenchRecord(ruleSet: ruleSet.name, index: index, instruction: item.instruction, hasReference: item.reference != nil)
            }
        }
        summary = []
        complete = false
        summarize()
    }

    /// Recomputes `summary` and `complete` from the records.
    public mutating func summarize() {
        summary = ruleSets.map { entry in
            RuleSetSummary(entry, records: records.filter { $0.ruleSet == entry.name })
        }
        complete = records.allSatisfy(\.isComplete)
    }

    /// Checks a report read back for `--resume` against the instructions it was made from and the model's
    /// vocabulary, and restores what was lost: a record deleted from the file is planned again (so the
    /// run finishes it), while a record that cannot be trusted is an error naming it. `complete` and the
    /// summary are recomputed from the records, never taken from the file.
    public mutating func validateForResume(instructions: [BenchInstruction], vocabularySize: Int, path: String) throws(BenchError) {
        func fail(_ reason: String) -> BenchError { .report(path: path, reason: reason) }
        var names = Set<String>()
        for entry in ruleSets where !names.insert(entry.name).inserted { throw fail("two rule sets are named '\(entry.name)'") }
        var byKey: [String: BenchRecord] = [:]
        for record in records {
            let which = "the record of '\(record.ruleSet)' for instruction \(record.index + 1)"
            guard names.contains(record.ruleSet) else { throw fail("\(which) names a rule set the report does not define") }
            guard instructions.indices.contains(record.index) else {
                throw fail("\(which) is beyond the \(instructions.count) instructions of \(configuration.instructions)")
            }
            guard instructions[record.index].instruction == record.instruction,
                  (instructions[record.index].reference != nil) == record.hasReference
            else {
                throw fail("\(configuration.instructions) no longer holds instruction \(record.index + 1) as the report has it")
            }
            if let shard, let r = ruleSets.firstIndex(where: { $0.name == record.ruleSet }),
               !shard.holds(ruleSet: r, instruction: record.index, instructions: instructions.count) {
                throw fail("\(which) belongs to another shard than \(shard)")
            }
            guard byKey.updateValue(record, forKey: "\(record.ruleSet)\u{0}\(record.index)") == nil else {
                throw fail("\(which) appears twice")
            }
            guard (record.stopReason == nil) == (record.tokens == nil), (record.stopReason == nil) == (record.text == nil) else {
                throw fail("\(which) has a stop reason, tokens and text only in part")
            }
            if let bad = record.tokens?.first(where: { $0 < 0 || Int($0) >= vocabularySize }) {
                throw fail("\(which) holds token id \(bad), outside the model's vocabulary of \(vocabularySize)")
            }
        }
        records = ruleSets.enumerated().flatMap { r, entry in
            instructions.indices.compactMap { index in
                guard shard?.holds(ruleSet: r, instruction: index, instructions: instructions.count) ?? true else { return nil }
                return byKey["\(entry.name)\u{0}\(index)"] ?? BenchRecord(
                    ruleSet: entry.name, index: index, instruction: instructions[index].instruction,
                    hasReference: instructions[index].reference != nil)
            }
        }
        summarize()
    }

    /// `report.json`'s bytes.
    public func encoded() throws -> Data { try BenchJSON.encoder(pretty: true).encode(self) }

    /// A report read from `report.json`'s bytes.
    public static func decode(_ data: Data) throws -> BenchReport { try BenchJSON.decoder().decode(BenchReport.self, from: data) }
}

/// What determines a run's outputs (the batch size does not, so it is not here).
public struct BenchConfiguration: Sendable, Codable, Equatable {
    /// The model as given: a name or a path.
    public var model: String
    /// LoRA adapters as given (`FILE` or `FILE:SCALE`); nil for none.
    public var adapters: [String]?
    /// The instruction file's path, as given.
    public var instructions: String
    /// The prompt template's name.
    public var template: String
    /// The token limit of each response.
    public var maxTokens: Int
    /// The first `limit` instructions only.
    public var limit: Int?
    /// The SHA-256 of the instruction file's bytes, and how many instructions the bench takes from it
    /// (after `limit`): shards merge only if they were made from the same file. Nil in older reports.
    public var instructionsSHA256: String?
    /// How many instructions the bench takes from the file.
    public var instructionCount: Int?

    /// A configuration.
    public init(
        model: String, adapters: [String]? = nil, instructions: String, template: String, maxTokens: Int, limit: Int?,
        instructionsSHA256: String? = nil, instructionCount: Int? = nil
    ) {
        self.model = model
        self.adapters = adapters
        self.instructions = instructions
        self.template = template
        self.maxTokens = maxTokens
        self.limit = limit
        self.instructionsSHA256 = instructionsSHA256
        self.instructionCount = instructionCount
    }

    enum CodingKeys: String, CodingKey {
        case model, instructions, template, limit
        case adapters = "lora"
        case maxTokens = "max_tokens"
        case instructionsSHA256 = "instructions_sha256", instructionCount = "instruction_count"
    }
}

/// A rule set and the time its generations took.
public struct RuleSetEntry: Sendable, Codable, Equatable {
    /// The rule set.
    public var definition: RuleSet
    /// Wall-clock time spent generating with this rule set, and the tokens generated in it.
    public var generationSeconds: Double = 0
    /// Tokens generated with this rule set.
    public var generatedTokens: Int = 0

    /// The rule set's name.
    public var name: String { definition.name }

    enum CodingKeys: String, CodingKey {
        case definition
        case generationSeconds = "generation_seconds", generatedTokens = "generated_tokens"
    }
}

/// One rule set's response to one instruction, and its measures.
public struct BenchRecord: Sendable, Codable, Equatable {
    /// The rule set's name.
    public var ruleSet: String
    /// The instruction's position in the file (from 0).
    public var index: Int
    /// The instruction's text.
    public var instruction: String
    /// Whether the instruction has a reference response.
    public var hasReference: Bool
    /// The response; nil until generated.
    public var tokens: [TokenID]?
    /// The response's text; nil until generated.
    public var text: String?
    /// Why the response ended; nil until generated.
    public var stopReason: StopReason?
    /// Why no response could be generated (the prompt does not fit the context, say); nil otherwise.
    public var error: String?
    /// Why the reference could not be scored; nil otherwise.
    public var referenceError: String?
    /// The response's measures.
    public var metrics: Metrics

    /// One response's measures (docs/bench.md defines each); nil until they can be computed.
    public struct Metrics: Sendable, Codable, Equatable {
        /// Response tokens.
        public var length: Int?
        /// Whether it ended with an end-of-generation token.
        public var terminated: Bool?
        /// Whether it repeats the instruction.
        public var echo: Bool?
        /// Whether it writes a new turn of the conversation (a user or assistant tag).
        public var turnLeak: Bool?
        /// Its share of repeated 4-grams.
        public var selfRepetition: Double?
        /// Its distinct bigrams over its bigrams.
        public var distinct2: Double?
        /// The reference's mean per-token log-probability (nil without a reference, or until scored).
        public var referenceLogLikelihood: Double?
        /// How many tokens of the reference were scored.
        public var referenceTokens: Int?

        enum CodingKeys: String, CodingKey {
            case length, terminated, echo
            case turnLeak = "turn_leak", selfRepetition = "self_repetition", distinct2 = "distinct_2"
            case referenceLogLikelihood = "reference_log_likelihood", referenceTokens = "reference_tokens"
        }

        public func encode(to encoder: any Encoder) throws {
            // Nulls written out, so every record shows every metric.
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(length, forKey: .length)
            try c.encode(terminated, forKey: .terminated)
            try c.encode(echo, forKey: .echo)
            try c.encode(turnLeak, forKey: .turnLeak)
            try c.encode(selfRepetition, forKey: .selfRepetition)
            try c.encode(distinct2, forKey: .distinct2)
            try c.encode(referenceLogLikelihood, forKey: .referenceLogLikelihood)
            try c.encode(referenceTokens, forKey: .referenceTokens)
        }
    }

    init(ruleSet: String, index: Int, instruction: String, hasReference: Bool) {
        self.ruleSet = ruleSet
        self.index = index
        self.instruction = instruction
        self.hasReference = hasReference
        metrics = Metrics()
    }

    enum CodingKeys: String, CodingKey {
        case index, instruction, tokens, text, metrics, error
        case ruleSet = "rule_set", hasReference = "has_reference", stopReason = "stop_reason"
        case referenceError = "reference_error"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(ruleSet, forKey: .ruleSet)
        try c.encode(index, forKey: .index)
        try c.encode(instruction, forKey: .instruction)
        try c.encode(hasReference, forKey: .hasReference)
        try c.encode(tokens, forKey: .tokens)
        try c.encode(text, forKey: .text)
        try c.encode(stopReason, forKey: .stopReason)
        try c.encodeIfPresent(error, forKey: .error)
        try c.encodeIfPresent(referenceError, forKey: .referenceError)
        try c.encode(metrics, forKey: .metrics)
    }

    /// Generated, or failed for good (`error`): either way there is nothing left to do.
    public var isGenerated: Bool { stopReason != nil || error != nil }
    /// Whether no response could be generated.
    public var isFailed: Bool { error != nil }
    /// Whether the reference is scored (or there is none, or it could not be).
    public var isScored: Bool { !hasReference || metrics.referenceLogLikelihood != nil || referenceError != nil }
    /// Whether nothing is left to do for this record.
    public var isComplete: Bool { isGenerated && isScored }

    /// Records that no response could be generated, and why.
    public mutating func fail(_ reason: String) {
        error = reason
        (tokens, text, stopReason) = (nil, nil, nil)
    }

    /// Records a generated response and its text measures.
    public mutating func record(_ result: GenerationResult) {
        error = nil
        tokens = result.tokens
        text = result.text
        stopReason = result.stopReason
        metrics.length = result.tokens.count
        metrics.terminated = result.stopReason == .endOfGeneration
        metrics.echo = TextMetrics.echoes(result.text, instruction: instruction)
        metrics.turnLeak = TextMetrics.leaksTurn(result.text)
        metrics.selfRepetition = TextMetrics.selfRepetition(result.text)
        metrics.distinct2 = TextMetrics.distinct2([result.text])
    }
}

/// The JSON coding of the bench's files (report.json, judgments.jsonl): sorted keys, and infinities
/// (a banned reference token's log-likelihood, a judge's -inf log-probability) written as strings.
enum BenchJSON {
    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return decoder
    }
}
