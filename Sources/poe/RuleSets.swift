import PoE
import PoERules
import PoETransformer

/// What several commands share.
enum PoECommandLine {
    /// The product of rule sets' experts, built for a model; `languageModel` experts load their model by
    /// name or path.
    static func product(of ruleSets: [RuleSet], for transformer: Transformer) throws -> ProductOfExperts {
        let context = RuleBuildContext(tokenizer: transformer.tokenizer) { name in
            LanguageModelExpert(try Transformer(path: ModelStore().resolve(name) { printError($0) }.path))
        }
        let experts = try ruleSets.flatMap { try $0.build(context) }
        return try ProductOfExperts(experts, vocabulary: transformer.vocabulary)
    }
}
