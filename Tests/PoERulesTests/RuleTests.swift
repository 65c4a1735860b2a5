import Foundation
import PoE
import PoERules
import PoETestSupport
import Testing

/// Scores of a rule after `n` response tokens of a table-model prompt.
func scores(of expert: any Expert, prompt: Prompt, response: [TokenID], model: TableModel) throws -> ExpertScores {
    let state = try expert.start(prompt)
    for token in response { try state.accept(token) }
    let logits = model.logits(after: response.last ?? prompt.tokens.last)
    return try logits.withUnsafeBufferPointer { base in
        try state.scores(ExpertStep(tokens: prompt.tokens + response, prompt: prompt, baseLogits: base))
    }
}

@Suite struct EOSRampTests {
    let model = TableModel()

    /// The paper's ramp: 15·n/250 for 0 < n < 250, nothing at 0 and from 250 on (or the peak, with hold).
    @Test(arguments: [(0, 0), (1, 0.06), (125, 7.5), (249, 14.94), (250, 0), (1025, 0)] as [(Int, Float)])
    func bonus(n: Int, expected: Float) throws {
        let prompt = try PromptTemplate.tulu.prompt(for: "hi", tokenizer: model.tokenizer)
        let ramp = EOSRamp(eos: 1)
        let result = try scores(of: ramp, prompt: prompt, response: Array(repeating: 40, count: n), model: model)
        #expect(result.score(of: 1) == expected)
        #expect(result.score(of: 40) == 0)
        #expect(ramp.bonus(afterResponseTokens: n) == expected)
    }

    @Test func holdKeepsThePeak() {
        let ramp = EOSRamp(eos: 1, afterEnd: .hold)
        #expect(ramp.bonus(afterResponseTokens: 250) == 15 && ramp.bonus(afterResponseTokens: 4000) == 15)
        let shifted = EOSRamp(eos: 1, start: 10, end: 20, peak: 4)
        #expect(shifted.bonus(afterResponseTokens: 10) == 0 && shifted.bonus(afterResponseTokens: 15) == 2)
    }
}

@Suite struct RepetitionPenaltyTests {
    let model = TableModel()

    func penalised(_ scope: RepetitionPenalty.Scope, response: String, exempt: Set<TokenID> = []) throws -> Set<TokenID> {
        let prompt = try PromptTemplate.tulu.prompt(for: "hey", tokenizer: model.tokenizer)
        let tokens = try model.tokenizer.encode(response, addSpecial: false, parseSpecial: false)
        guard case let .sparse(ids, values) = try scores(of: RepetitionPenalty(scope: scope, exempt: exempt), prompt: prompt, response: tokens, model: model) else {
            return []
        }
        #expect(values.allSatisfy { $0 == -1.5 })
        #expect(Set(ids).count == ids.count, "once per distinct id")
        return Set(ids)
    }

    func ids(_ text: String) throws -> Set<TokenID> { Set(try model.tokenizer.encode(text, addSpecial: false, parseSpecial: false)) }

    /// The paper's scope: the instruction, the template after it, the response; nothing before the user turn.
    @Test func instructionScope() throws {
        let set = try penalised(.instruction, response: "ok")
        #expect(set == (try ids("hey\n<|assistant|>\nok")))
        #expect(!set.contains(try #require(ids("u").first)), "'u' appears only in <|user|>, before the instruction")
        #expect(!set.contains(0), "BOS is before the user turn")
    }

    @Test func responseScope() throws {
        #expect(try penalised(.response, response: "oops") == ids("ops"))
        #expect(try penalised(.response, response: "") == [])
    }

    @Test func windowScope() throws {
        #expect(try penalised(.window(3), response: "abcdef") == ids("def"))
    }

    @Test func exemptTokensAreNeverPenalised() throws {
        let newline = try #require(ids("\n").first)
        #expect(!(try penalised(.instruction, response: "a\nb", exempt: [newline])).contains(newline))
    }
}

@Suite struct OtherExpertTests {
    let model = TableModel()

    @Test func frequencyAndPresence() throws {
        let prompt = try PromptTemplate.raw.prompt(for: "x", tokenizer: model.tokenizer)
        let a = try #require(model.tokenizer.encode("a", addSpecial: false, parseSpecial: false).first)
        let b = try #require(model.tokenizer.encode("b", addSpecial: false, parseSpecial: false).first)
        let result = try scores(of: FrequencyPresencePenalty(frequency: 0.5, presence: 2), prompt: prompt, response: [a, b, a, a], model: model)
        #expect(result.score(of: a) == -(3 * 0.5 + 2))
        #expect(result.score(of: b) == -(0.5 + 2))
    }

    /// transformers' rule: positive logits divided by the penalty, negative ones multiplied.
    @Test func multiplicativePenalty() throws {
        let prompt = try PromptTemplate.raw.prompt(for: "x", tokenizer: model.tokenizer)
        let response = try model.tokenizer.encode("abc", addSpecial: false, parseSpecial: false)
        let result = try scores(of: MultiplicativeRepetitionPenalty(penalty: 2, scope: .response), prompt: prompt, response: response, model: model)
        let base = model.logits(after: response.last)
        for id in response {
            let logit = base[Int(id)]
            #expect(logit + result.score(of: id) == (logit > 0 ? logit / 2 : logit * 2))
        }
    }

    @Test func bannedStringsBlockCompletions() throws {
        let banned = BannedStrings(["cat"], tokenizer: model.tokenizer)
        let prompt = try PromptTemplate.raw.prompt(for: "x", tokenizer: model.tokenizer)
        let c = try model.tokenizer.encode("c", addSpecial: false, parseSpecial: false)
        let ca = try model.tokenizer.encode("ca", addSpecial: false, parseSpecial: false)
        let t = try #require(model.tokenizer.encode("t", addSpecial: false, parseSpecial: false).first)
        let a = try #require(model.tokenizer.encode("a", addSpecial: false, parseSpecial: false).first)
        #expect(try scores(of: banned, prompt: prompt, response: ca, model: model).score(of: t) == -.infinity)
        #expect(try scores(of: banned, prompt: prompt, response: ca, model: model).score(of: a) == 0)
        #expect(try scores(of: banned, prompt: prompt, response: c, model: model).score(of: t) == 0)
    }

    @Test func languageModelExpertIsTheOtherModelsLogProbabilities() throws {
        let other = TableModel(seed: 99)
        let expert = LanguageModelExpert(other)
        try expert.check(vocabulary: model.vocabulary)
        let prompt = try PromptTemplate.raw.prompt(for: "ab", tokenizer: model.tokenizer)
        let result = try scores(of: expert, prompt: prompt, response: [50], model: model)
        let logits = other.logits(after: 50)
        let lse = logits.withUnsafeBufferPointer { logSumExp($0) }
        #expect(result.score(of: 7) == logits[7] - lse)
    }

    @Test func startRuleScores() {
        #expect(StartBias.score("\u{2581}Okay", agreements: ["Okay"]) == 10)
        #expect(StartBias.score("\u{2581}I", agreements: ["Okay"]) == -3)
        #expect(StartBias.score("\u{2581}the", agreements: ["Okay"]) == 1)
        #expect(StartBias.score("<0x0A>", agreements: ["Okay"]) == -1)
        #expect(StartBias.score("\u{2581}", agreements: ["Okay"]) == 0)
        #expect(StartBias.score("42", agreements: ["Okay"]) == 0)
        #expect(StartBias.score("\u{4E2D}", agreements: ["Okay"]) == 1)
    }
}
