import Foundation
import PoE
import PoEBench
import PoERules
import PoETestSupport
import Testing

/// Runs, resumes and interrupts benchmarks on the table model.
@Suite struct BenchRunnerTests {
    let model = TableModel()
    let instructions = [
        BenchInstruction(instruction: "ab", reference: "cd"),
        BenchInstruction(instruction: "ba", reference: "hello"),
        BenchInstruction(instruction: "abc"),
        BenchInstruction(instruction: "c", reference: "x y"),
        BenchInstruction(instruction: "bb", reference: "q"),
    ]
    let parameters = GenerationParameters(template: .raw, maxTokens: 12)

    /// `none`, and a rule set whose EOS ramp ends some responses early.
    func ruleSets() throws -> [BenchRuleSet] {
        let ramp = RuleSet(name: "ramp", experts: [ExpertSpec(.eosRamp(start: 0, end: 12, peak: 40, afterEnd: .hold))])
        return try [RuleSet.none, ramp].map { definition in
            let experts = try definition.build(RuleBuildContext(tokenizer: model.tokenizer))
            return BenchRuleSet(definition: definition, product: try ProductOfExperts(experts, vocabulary: model.vocabulary))
        }
    }

    func newReport(_ ruleSets: [BenchRuleSet]) -> BenchReport {
        BenchReport(
            configuration: BenchConfiguration(model: "table", instructions: "set.jsonl", template: "raw", maxTokens: 12, limit: nil),
            ruleSets: ruleSets.map(\.definition), instructions: instructions)
    }

    func runner(_ ruleSets: [BenchRuleSet], batch: Int) -> BenchRunner<TableModel> {
        BenchRunner(model: model, instructions: instructions, ruleSets: ruleSets, parameters: parameters, batchSize: batch)
    }

    @Test func aFullRunMatchesGenerationAloneAndScoresEveryReference() throws {
        let sets = try ruleSets()
        var report = newReport(sets)
        var checkpoints = 0
        try runner(sets, batch: 2).run(&report) { _ in checkpoints += 1 }
        #expect(report.complete)
        #expect(report.records.count == 10 && checkpoints >= 10)
        for record in report.records {
            let set = try #require(sets.first { $0.definition.name == record.ruleSet })
            let alone = try Generator(model: model, product: set.product, parameters: parameters).generate(record.instruction)
            #expect(record.tokens == alone.tokens && record.text == alone.text && record.stopReason == alone.stopReason)
            #expect(record.metrics.length == alone.tokens.count)
            #expect((record.metrics.referenceLogLikelihood != nil) == (instructions[record.index].reference != nil))
        }
        let none = try #require(report.summary.first { $0.ruleSet == "none" })
        let ramp = try #require(report.summary.first { $0.ruleSet == "ramp" })
        #expect(none.generated == 5 && none.scored == 4)
        #expect(none.terminationRate == 0 && ramp.terminationRate == 1, "the ramp ends every response")
        #expect((ramp.meanLength ?? 99) < (none.meanLength ?? 0))
        #expect(none.tokensPerSecond != nil)
    }

    @Test func resumingDoesOnlyWhatIsLeft() throws {
        let sets = try ruleSets()
        var full = newReport(sets)
        try runner(sets, batch: 3).run(&full)
        // Forget three responses and two scores.
        var partial = full
        for i in [0, 4, 7] {
            partial.records[i].tokens = nil
            partial.records[i].text = nil
            partial.records[i].stopReason = nil
        }
        for i in [1, 8] { partial.records[i].metrics.referenceLogLikelihood = nil }
        partial.summarize()
        #expect(!partial.complete)
        let saved = try BenchReport.decode(partial.encoded())
        #expect(saved == partial, "a partial report reads back as written")
        var resumed = saved
        var progress: [BenchProgress] = []
        try runner(sets, batch: 2).run(&resumed, progress: { progress.append($0) })
        #expect(resumed.records == full.records)
        #expect(resumed.complete)
        let last = try #require(progress.last)
        #expect(last.done == last.total && last.total == 10 + 8)
        // Three generations, and the scores of instructions 1 (set none) and 3 (set ramp) for both sets
        // that lack them: one forward pass per instruction scores every pending set.
        #expect(last.doneHere == 3 + 2)
    }

    /// Cancelling mid-run leaves the last checkpoint a valid partial report, which resumes to the same end.
    @Test func cancellationLeavesAValidPartialReport() async throws {
        let sets = try ruleSets()
        var full = newReport(sets)
        try runner(sets, batch: 2).run(&full)

        let start = newReport(sets)
        let runner = runner(sets, batch: 2)
        let saved: Data? = await Task.detached {
            var report = start
            var last: Data?
            var count = 0
            do {
                try runner.run(&report, checkpoint: { checkpoint in
                    last = try checkpoint.encoded()
                    count += 1
                    if count == 3 { withUnsafeCurrentTask { $0?.cancel() } }
                })
            } catch is CancellationError {
                return last
            } catch {}
            return nil
        }.value
        let data = try #require(saved, "the run should stop with CancellationError")
        var partial = try BenchReport.decode(data)
        // Stopped at the first step after the third response (others in that step may have finished too).
        #expect(!partial.complete && (3 ..< 10).contains(partial.records.filter(\.isGenerated).count))
        try runner.run(&partial)
        #expect(partial.records == full.records)
    }
}
