import Foundation
import PoEModels
import PoETransformer

/// The two real models, loaded once per test process (fetched first if the store lacks them).
enum RealModels {
    static let gemma = load("gemma-3-270m")
    static let smollm = load("smollm2-135m-instruct")

    static func named(_ name: String) throws -> Transformer {
        switch name {
        case "gemma-3-270m": try gemma.get()
        case "smollm2-135m-instruct": try smollm.get()
        default: throw ModelStoreError.unknownModel(name)
        }
    }

    static let names = ["gemma-3-270m", "smollm2-135m-instruct"]

    private static func load(_ name: String) -> Result<Transformer, any Error> {
        Result { try Transformer(path: ModelStore().resolve(name).path) }
    }
}
