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

    public static let presets: [RuleSet] = [
        none,
        paper,
        RuleSet(name: "paper-no-eos", experts: [diversityRule, uniformRule]),
        RuleSet(name: "paper-no-diversity", experts: [eosRule, uniformRule]),
        RuleSet(name: "paper-no-uniform", experts: [eosRule, diversityRule]),
        RuleSet(name: "paper-start", experts: [eosRule, diversityRule, uniformRule, startRule]),
    ]

    /// The paper's leave-one-rule-out ablations.
    public static let paperAblations = ["paper-no-eos", "paper-no-diversity", "paper-no-uniform"]
}
