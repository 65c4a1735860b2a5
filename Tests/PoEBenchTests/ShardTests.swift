import Foundation
import PoE
import PoEBench
import PoERules
import PoETestSupport
import Testing

/// `--shard K/N` and `poe bench merge`: the parts are disjoint, cover the bench, and merged give the
/// records one unsharded run gives; reports that are not parts of one bench do not merge.
@Suite struct ShardTests {
    let bench = BenchRunnerTests()

    func configuration() -> BenchConfiguration {
        BenchConfiguration(
            model: "table", instructions: "set.jsonl", template: "raw", maxTokens: 12, limit: nil,
            instructionsSHA256: SHA256.hex("set"), instructionCount: bench.instructions.count)
    }

    func run(shard: BenchShard?) throws -> BenchReport {
        let sets = try bench.ruleSets()
        var report = BenchReport(configuration: configuration(), ruleSets: sets.map(\.definition), instructions: bench.instructions, shard: shard)
        try bench.runner(sets, batch: 3).run(&report)
        return report
    }

    @Test(arguments: [2, 3, 7])
    func mergedShardsEqualTheUnshardedRun(count: Int) throws {
        let whole = try run(shard: nil)
        let parts = try (1 ... count).map { try run(shard: BenchShard(index: $0, count: count)) }
        // Disjoint, and together every record.
        let keys = parts.flatMap { $0.records.map { "\($0.ruleSet)/\($0.index)" } }
        #expect(Set(keys).count == keys.count && keys.count == whole.records.count)
        let merged = try BenchReport.merge(parts.reversed(), paths: (1 ... count).map { "shard\($0)" }, allowPartial: false)
        #expect(merged.records == whole.records)
        #expect(merged.summary.map(\.generated) == whole.summary.map(\.generated))
        #expect(merged.summary.map(\.referenceLogLikelihood) == whole.summary.map(\.referenceLogLikelihood))
        #expect(merged.complete && merged.shard == nil)
        #expect(merged.ruleSets.map(\.generatedTokens) == whole.ruleSets.map(\.generatedTokens))
    }

    @Test func reportsThatAreNotPartsOfOneBenchDoNotMerge() throws {
        let one = try run(shard: BenchShard(index: 1, count: 2))
        let two = try run(shard: BenchShard(index: 2, count: 2))
        func reason(_ parts: [BenchReport], allowPartial: Bool = false) -> String? {
            do {
                _ = try BenchReport.merge(parts, paths: parts.indices.map { "dir\($0 + 1)" }, allowPartial: allowPartial)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(reason([one, two]) == nil)
        #expect(reason([one])?.contains("shards 2/2 are missing") == true)
        #expect(reason([one], allowPartial: true) == nil)
        #expect(try BenchReport.merge([one], paths: ["dir1"], allowPartial: true).complete == false)
        #expect(reason([one, one])?.contains("dir2: it is shard 1/2, as dir1 is") == true)
        var other = two
        other.configuration.maxTokens = 13
        #expect(reason([one, other])?.contains("dir2: its settings") == true)
        other = two
        other.configuration.instructionsSHA256 = SHA256.hex("another file")
        #expect(reason([one, other])?.contains("not part of the same bench") == true)
        other = two
        other.shard = try BenchShard(index: 2, count: 3)
        #expect(reason([one, other])?.contains("split 3 ways") == true)
        var whole = try run(shard: nil)
        #expect(reason([whole])?.contains("it is not a shard's report") == true)
        whole.shard = try BenchShard(index: 2, count: 2)
        #expect(reason([one, whole])?.contains("also in another shard") == true)
    }

    @Test func shardsAreParsedAndChecked() throws {
        #expect(try BenchShard("2/4") == BenchShard(index: 2, count: 4))
        for bad in ["0/4", "5/4", "1/0", "a/b", "2", "1/2/3", ""] {
            #expect(throws: BenchError.self) { try BenchShard(bad) }
        }
    }

    /// A resumed shard keeps to its part: a record of another shard in its file is an error.
    @Test func aResumedShardKeepsToItsPart() throws {
        var report = try run(shard: BenchShard(index: 1, count: 2))
        report.records.removeLast()
        try report.validateForResume(instructions: bench.instructions, vocabularySize: bench.model.vocabulary.count, path: "r.json")
        #expect(report.records.count == 5 && !report.complete, "the lost record is planned again")
        let other = try run(shard: BenchShard(index: 2, count: 2))
        report.records.append(other.records[0])
        #expect(throws: BenchError.self) {
            try report.validateForResume(instructions: bench.instructions, vocabularySize: bench.model.vocabulary.count, path: "r.json")
        }
    }
}
