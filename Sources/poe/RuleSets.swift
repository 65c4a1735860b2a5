import PoE
import PoEModels
import PoERules
import PoETransformer

/// What several commands share.
enum PoECommandLine {
    /// The product of rule sets' experts, built for a model. A `languageModel` expert loads its model by
    /// name or path, or shares the base model's weights when it names none; its adapters (if any) take
    /// the place of the base model's own.
    static func product(of ruleSets: [RuleSet], for transformer: Transformer) throws -> ProductOfExperts {
        let context = RuleBuildContext(tokenizer: transformer.tokenizer) { name, adapters in
            let model = try name.map { try Transformer(path: ModelStore().resolve($0) { printError($0) }.path) } ?? transformer
            guard !adapters.isEmpty else { return LanguageModelExpert(model, name: name == nil ? "baseModel" : "languageModel") }
            let scaled = try adapters.map { ScaledAdapter(try LoRAAdapter(path: $0.path, for: model), scale: $0.scale) }
            return LanguageModelExpert(try model.adapted(by: scaled), name: "adapted")
        }
        let experts = try ruleSets.flatMap { try $0.build(context) }
        return try ProductOfExperts(experts, vocabulary: transformer.vocabulary)
    }
}
