import PoE

extension RuleSet {
    /// The paper's uniform token changes (Hewitt et al. 2024), by text. These are the tokens the reference
    /// code changes (Llama-2 ids 29966, 529, 29989, 306, 29902, 1334, 5618, 881, 334, 448, 1678, 396, 444,
    /// 13, 29991): note "What" without a leading space and three spaces, as those ids are, where the
    /// code's comments say " What" and two spaces.
    public static let paperTokenChanges: [(String, Float)] = [
        ("<", -4), (" <", -4), ("|", -4),
        (" I", -5), ("I", -5), ("What", -5),
        (" We", -3),
        (" should", -6),
        (" -", 1), (" *", 1), ("   ", 1), (" #", 1), (" ##", 1), ("\n", 1), ("!", 1),
    ]

    static let eosRule = ExpertSpec(.eosRamp(start: 0, end: 250, peak: 15, afterEnd: .zero))
    static let diversityRule = ExpertSpec(.repetitionPenalty(penalty: 1.5, scope: .instruction, exempt: []))
    static let uniformRule = ExpertSpec(.tokenBias(
        tokens: paperTokenChanges.map { .text($0.0) }, biases: paperTokenChanges.map(\.1), unresolvable: .error))
    static let startRule = ExpertSpec(.startBias(agreements: ["Okay"], firstTokenWeight: 5, exclamation: 15, newline: -10))

    /// The base model alone.
    public static let none = RuleSet(name: "none", experts: [])
    /// The paper's three rules (the reference's `eos-uniform-diversity`): use with greedy decoding and
    /// the Tulu template.
    public static let paper = RuleSet(name: "paper", experts: [eosRule, diversityRule, uniformRule])

    /// Every preset: `none`, `paper`, the three ablations `paper-no-eos`, `paper-no-diversity` and
    /// `paper-no-uniform`, and `paper-start`.
    public static let presets: [RuleSet] = [
        none,
        paper,
        RuleSet(name: "paper-no-eos", experts: [diversityRule, uniformRule]),
        RuleSet(name: "paper-no-diversity", experts: [eosRule, uniformRule]),
        RuleSet(name: "paper-no-uniform", experts: [eosRule, diversityRule]),
        RuleSet(name: "paper-start", experts: [eosRule, diversityRule, uniformRule, startRule]),
    ]

    /// One rule set per expert, each with that expert left out, named `<name>-no-<rule>` (for `paper`:
    /// exactly the presets `paper-no-eos`, `paper-no-diversity` and `paper-no-uniform`).
    public func leaveOneOut() -> [RuleSet] {
        experts.indices.map { i in
            let rule = experts[i].kind.ruleName
            let repeats = experts.filter { $0.kind.ruleName == rule }.count > 1
            var rest = experts
            rest.remove(at: i)
            return RuleSet(name: "\(name)-no-\(rule)\(repeats ? "\(i + 1)" : "")", experts: rest)
        }
    }
}

extension ExpertSpec.Kind {
    /// A short name for the rule, as the paper calls its three.
    var ruleName: String {
        switch self {
        case .eosRamp: "eos"
        case .repetitionPenalty: "diversity"
        case .tokenBias: "uniform"
        case .startBias: "start"
        case .frequencyPresencePenalty: "frequency-presence"
        case .multiplicativeRepetitionPenalty: "multiplicative-repetition"
        case .bannedStrings: "banned"
        case .languageModel: "model"
        }
    }
}
