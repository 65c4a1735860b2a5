import ArgumentParser
import Foundation
import PoEModels
import PoETransformer

/// `--model NAME|PATH`, for commands that read a model file without running it.
struct ModelFileOption: ParsableArguments {
    @Option(name: .long, help: "A GGUF file, or a known model name (see `poe models list`).")
    var model: String = ModelCatalog.defaultName

    /// The model's file, fetched first if it is a known name not yet on disk.
    func resolve() throws -> URL {
        try ModelStore().resolve(model) { printError($0) }
    }
}

/// `--model NAME|PATH` and `--lora FILE[:SCALE]`, shared by every command that runs a model.
struct ModelOption: ParsableArguments {
    @Option(name: .long, help: "A GGUF file, or a known model name (see `poe models list`).")
    var model: String = ModelCatalog.defaultName

    @Option(name: .customLong("lora"), help: "A LoRA adapter (llama.cpp's GGUF format), FILE or FILE:SCALE (default scale 1); repeatable.")
    var adapters: [String] = []

    @Option(help: "Activations of the decode products: f32 (exact, the default) or q8 (rounded to 8 bits as llama.cpp does; faster).")
    var activations: ActivationPrecision = .f32

    @Option(name: .customLong("kv-cache"), help: "How the KV cache stores keys and values: f32 (exact, the default) or f16 (half the memory, as llama.cpp's default).")
    var kvCache: KVCachePrecision = .f32

    func validate() throws {
        for spec in adapters { _ = try AdapterSpec(spec) }
    }

    /// The model, with its adapters when --lora gives some.
    func load() throws -> Transformer {
        try AdapterSpec.load(model: model, adapters: adapters, activations: activations, kvCache: kvCache)
    }
}

extension ActivationPrecision: ExpressibleByArgument {}
extension KVCachePrecision: ExpressibleByArgument {}

/// `FILE` or `FILE:SCALE`: an adapter and its scale, as `--lora` takes them.
struct AdapterSpec: Equatable {
    let path: String
    let scale: Float

    init(_ spec: String) throws {
        // A path may hold colons; a scale is what follows the last one, if it is a number.
        if let colon = spec.lastIndex(of: ":"), let scale = Float(spec[spec.index(after: colon)...]) {
            guard scale.isFinite else { throw ValidationError("--lora \(spec): the scale must be a finite number") }
            (path, self.scale) = (String(spec[..<colon]), scale)
        } else {
            (path, scale) = (spec, 1)
        }
        guard !path.isEmpty else { throw ValidationError("--lora \(spec): give the adapter's file") }
    }

    /// `model` (a name or path) with the adapters `specs` name, read and checked against it.
    static func load(
        model: String, adapters specs: [String], activations: ActivationPrecision = .f32, kvCache: KVCachePrecision = .f32
    ) throws -> Transformer {
        let base = try Transformer(path: ModelStore().resolve(model) { printError($0) }.path, activations: activations, kvCache: kvCache)
        guard !specs.isEmpty else { return base }
        let adapters = try specs.map { spec in
            let parsed = try AdapterSpec(spec)
            return ScaledAdapter(try LoRAAdapter(path: parsed.path, for: base), scale: parsed.scale)
        }
        return try base.adapted(by: adapters)
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
}
