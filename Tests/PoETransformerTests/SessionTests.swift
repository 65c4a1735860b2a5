import Foundation
import PoE
import PoETransformer
import Testing

/// Session semantics on tiny random models of every architecture: every way of reaching a sequence
/// (one prefill, small chunks, one token at a time, fork, truncate) gives the same logits.
@Suite struct SessionTests {
    static let tokens: [TokenID] = [3, 7, 1, 0, 11, 5, 5, 9, 2, 8, 4, 6, 10, 1, 3, 3, 7, 0, 2, 9]

    static func tiny(_ architecture: String) throws -> Transformer {
        var tiny = TinyModel()
        tiny.architecture = architecture
        return try tiny.load()
    }

    static func prefill(_ model: Transformer, _ tokens: [TokenID]) throws -> LogitMatrix {
        try model.makeSession().append(tokens, logits: .all)
    }

    static func expectClose(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>, _ what: String) {
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        #expect(a.count == b.count && worst < 1e-4, "\(what): differs by \(worst)")
    }

    @Test(arguments: TransformerConfig.Architecture.allCases.map(\.rawValue))
    func tokenByTokenEqualsPrefill(architecture: String) throws {
        let model = try Self.tiny(architecture)
        let all = try Self.prefill(model, Self.tokens)
        #expect(all.rows == Self.tokens.count && all.columns == 12)
        #expect(all.values.allSatisfy { $0.isFinite })
        let session = try model.makeSession()
        for (i, token) in Self.tokens.enumerated() {
            let row = try session.append([token], logits: .last)
            Self.expectClose(row[0], all[i], "\(architecture) position \(i)")
        }
        #expect(session.tokens == Self.tokens)
    }

    @Test(arguments: TransformerConfig.Architecture.allCases.map(\.rawValue))
    func chunkedPrefillEqualsOnePass(architecture: String) throws {
        let model = try Self.tiny(architecture)
        let all = try Self.prefill(model, Self.tokens)
        let session = try model.makeSession()
        session.chunkSize = 3
        let chunked = try session.append(Self.tokens, logits: .all)
        for i in 0 ..< Self.tokens.count { Self.expectClose(chunked[i], all[i], "position \(i)") }
        let last = try model.makeSession().append(Self.tokens, logits: .last)
        Self.expectClose(last[0], all[Self.tokens.count - 1], "last")
    }

    @Test func forkAndTruncate() throws {
        let model = try Self.tiny("gemma3")
        let all = try Self.prefill(model, Self.tokens)
        let session = try model.makeSession()
        _ = try session.append(Array(Self.tokens[..<8]), logits: .none)
        let fork = try session.fork()
        _ = try fork.append([0, 0, 0], logits: .none)  // changes the fork only
        let rest = try session.append(Array(Self.tokens[8...]), logits: .all)
        for i in 8 ..< Self.tokens.count { Self.expectClose(rest[i - 8], all[i], "after fork, position \(i)") }

        try fork.truncate(to: 8)
        let again = try fork.append(Array(Self.tokens[8...]), logits: .all)
        for i in 8 ..< Self.tokens.count { Self.expectClose(again[i - 8], all[i], "after truncate, position \(i)") }
        #expect(fork.tokens == Self.tokens)
    }

    /// With two local layers and a window of 4, position p sees tokens back to p − 6 and no further.
    @Test func slidingWindowLimitsWhatIsSeen() throws {
        let model = try Self.tiny("gemma3")
        var changed = Self.tokens
        changed[0] = 6
        let a = try Self.prefill(model, Self.tokens), b = try Self.prefill(model, changed)
        for i in 0 ..< 7 { #expect(a[i] != b[i], "position \(i) should see token 0") }
        for i in 7 ..< Self.tokens.count { #expect(a[i] == b[i], "position \(i) should not see token 0") }
    }

    /// Sessions of different lengths stepped together get, bit for bit, the logits each gets alone, also
    /// past a group of 16 (the batch splits into groups the fused kernels take).
    @Test(arguments: ["llama", "gemma3"], [3, 19])
    func batchedDecodeEqualsSingleDecode(architecture: String, batch: Int) throws {
        let model = try Self.tiny(architecture)
        let prefixes = (0 ..< batch).map { Array(Self.tokens[..<(1 + $0 % Self.tokens.count)]) }
        let together = try prefixes.map { prefix in
            let session = try model.makeSession()
            _ = try session.append(prefix, logits: .none)
            return session
        }
        let alone = try prefixes.map { prefix in
            let session = try model.makeSession()
            _ = try session.append(prefix, logits: .none)
            return session
        }
        for step in 0 ..< 3 {
            let next = (0 ..< batch).map { TokenID(($0 + step) % 12) }
            let logits = try model.decode(together, tokens: next)
            #expect(logits.rows == batch && logits.columns == 12)
            for i in 0 ..< batch {
                let single = try alone[i].append([next[i]], logits: .last)
                #expect(logits[i].map(\.bitPattern) == single[0].map(\.bitPattern), "\(architecture) step \(step) sequence \(i)")
            }
        }
        #expect(together.map(\.tokens) == alone.map(\.tokens))
    }

    @Test func badBatches() throws {
        let model = try Self.tiny("llama")
        let a = try model.makeSession(), b = try model.makeSession(capacity: 1)
        #expect(throws: LanguageModelError.invalidBatch) { try model.decode([a, b], tokens: [1]) }
        #expect(throws: LanguageModelError.invalidBatch) { try model.decode([a, a], tokens: [1, 2]) }
        let other = try Self.tiny("llama").makeSession()
        #expect(throws: LanguageModelError.invalidBatch) { try model.decode([a, other], tokens: [1, 2]) }
        #expect(throws: LanguageModelError.tokenOutOfRange(id: 12, index: 1, vocabularySize: 12)) {
            try model.decode([a, b], tokens: [1, 12])
        }
        _ = try b.append([1], logits: .none)
        #expect(throws: LanguageModelError.contextFull(needed: 2, capacity: 1)) { try model.decode([a, b], tokens: [1, 2]) }
        #expect(a.tokens.isEmpty && b.tokens == [1], "failed steps change nothing")
        #expect(try model.decode([], tokens: []).rows == 0)
    }

    @Test func badInput() throws {
        let model = try Self.tiny("llama")
        let session = try model.makeSession(capacity: 8)
        #expect(throws: LanguageModelError.tokenOutOfRange(id: 12, index: 1, vocabularySize: 12)) {
            try session.append([1, 12], logits: .last)
        }
        #expect(throws: LanguageModelError.tokenOutOfRange(id: -1, index: 0, vocabularySize: 12)) {
            try session.append([-1], logits: .last)
        }
        #expect(throws: LanguageModelError.contextFull(needed: 9, capacity: 8)) {
            try session.append([TokenID](repeating: 1, count: 9), logits: .last)
        }
        #expect(throws: LanguageModelError.emptyInput) { try session.append([], logits: .last) }
        #expect(session.tokens.isEmpty, "failed appends change nothing")
        #expect(throws: LanguageModelError.invalidTruncation(to: 3, count: 0)) { try session.truncate(to: 3) }
        #expect(throws: LanguageModelError.contextFull(needed: 1, capacity: 0)) { try model.makeSession(capacity: 0) }
    }

    /// A window layer's cache drops what no query can see again, chunk by chunk and step by step: a long
    /// sequence stepped one token at a time, or in chunks of 7, gives the logits of one pass over it that
    /// drops nothing; a fork after a drop continues alike; a truncation to before the dropped positions is
    /// refused in one sentence, one to 0 starts over.
    @Test(arguments: ["gemma3", "gemma2", "olmo2"])
    func windowCacheDropsWhatNoQuerySees(architecture: String) throws {
        var tiny = TinyModel()
        tiny.architecture = architecture
        tiny.context = 1024
        let model = try tiny.load()
        let tokens: [TokenID] = (0 ..< 700).map { (i: Int) -> TokenID in TokenID((i * 7 + i / 5) % 12) }
        let whole = try model.makeSession()
        whole.chunkSize = tokens.count
        let all = try whole.append(tokens, logits: .all)
        let chunked = try model.makeSession()
        chunked.chunkSize = 7
        let inChunks = try chunked.append(tokens, logits: .all)
        #expect(inChunks.values.indices.allSatisfy { abs(inChunks.values[$0] - all.values[$0]) <= 1e-4 * max(1, abs(all.values[$0])) }, "\(architecture) in chunks of 7")
        let stepped = try model.makeSession()
        for (i, token) in tokens.prefix(600).enumerated() {
            let row = try stepped.append([token], logits: .last)
            Self.expectClose(row[0], all[i], "\(architecture) position \(i)")
        }
        let fork = try stepped.fork()
        for (session, what) in [(stepped, "stepped"), (fork, "fork")] {
            let rows = try session.append(Array(tokens[600...]), logits: .all)
            for i in 600 ..< tokens.count { Self.expectClose(rows[i - 600], all[i], "\(architecture) \(what), position \(i)") }
        }
        #expect(throws: LanguageModelError.self) { try stepped.truncate(to: 100) }
        try stepped.truncate(to: 0)
        let again = try stepped.append(Array(tokens.prefix(10)), logits: .last)
        Self.expectClose(again[0], all[9], "\(architecture) after truncating to 0")
    }
}
