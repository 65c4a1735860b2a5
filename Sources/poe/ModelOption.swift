import ArgumentParser
import Foundation
import PoETransformer

/// `--model NAME|PATH`, shared by every command that runs a model.
struct ModelOption: ParsableArguments {
    @Option(name: .long, help: "A GGUF file, or a known model name (see `poe models list`).")
    var model: String = ModelCatalog.defaultName

    /// The model's file, fetched first if it is a known name not yet on disk.
    func resolve() throws -> URL {
        try ModelStore().resolve(model) { printError($0) }
    }

    func load() throws -> Transformer {
        try Transformer(path: resolve().path)
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    try? FileHandle.standardError.write(contentsOf: Data((line + "\n").utf8))
}
