import Foundation
import PoEModels
import PoETransformer

/// The two real models, loaded once per test process (fetched first if the store lacks them).
enum RealModels {
    static let gemma = load("gemma-3-270m")
    static let smollm = load("smollm2-135m-instruct")
    /// The same files loaded with 8-bit activations.
    static let gemmaQ8 = load("gemma-3-270m", activations: .q8)
    static let smollmQ8 = load("smollm2-135m-instruct", activations: .q8)
    /// The same files with half-precision KV caches.
    static let gemmaF16Cache = load("gemma-3-270m", kvCache: .f16)
    static let smollmF16Cache = load("smollm2-135m-instruct", kvCache: .f16)

    static func named(_ name: String, activations: ActivationPrecision = .f32, kvCache: KVCachePrecision = .f32) throws -> Transformer {
        switch (name, activations, kvCache) {
        case ("gemma-3-270m", .f32, .f32): try gemma.get()
        case ("smollm2-135m-instruct", .f32, .f32): try smollm.get()
        case ("gemma-3-270m", .q8, .f32): try gemmaQ8.get()
        case ("smollm2-135m-instruct", .q8, .f32): try smollmQ8.get()
        case ("gemma-3-270m", .f32, .f16): try gemmaF16Cache.get()
        case ("smollm2-135m-instruct", .f32, .f16): try smollmF16Cache.get()
        default: throw ModelStoreError.unknownModel(name)
        }
    }

    static let names = ["gemma-3-270m", "smollm2-135m-instruct"]

    private static func load(_ name: String, activations: ActivationPrecision = .f32, kvCache: KVCachePrecision = .f32) -> Result<Transformer, any Error> {
        Result { try Transformer(path: ModelStore().resolve(name).path, activations: activations, kvCache: kvCache) }
    }
}
