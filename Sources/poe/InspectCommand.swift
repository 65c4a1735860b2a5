import ArgumentParser
import Foundation
import PoEModels
import PoETransformer

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a GGUF file's metadata and tensors, and whether poe can run it.",
        discussion: """
            For a model, a first line says whether poe runs it (its architecture, layers and context) or what \
            keeps it from running (an architecture, tensor type or feature poe lacks, a missing tensor). For a \
            LoRA adapter, a summary first; with --base, whether it fits that model (as --lora checks).
            """
    )

    @Argument(help: "A GGUF file or a known model name.") var model: String
    @Option(help: "For an adapter: the model to check it against (a name or path).") var base: String?
    @Flag(help: "Print JSON.") var json = false

    /// Arrays longer than this are shown by type and length only.
    static let arrayPreview = 16

    func run() throws {
        let url = try ModelStore().resolve(model) { printError($0) }
        let file = try GGUFFile(path: url.path)
        let isAdapter = (try? file.metadata.string("general.type")) == "adapter"
        if let base {
            guard isAdapter else { throw CommandError("\(file.path) is not an adapter ('general.type' is not 'adapter'); --base checks adapters") }
            let model = try Transformer(path: ModelStore().resolve(base) { printError($0) }.path)
            let adapter = try LoRAAdapter(file: file, for: model)
            if !json { print("fits \(base): \(adapter.targets.count) adapted matrices, rank \(adapter.rank), alpha \(adapter.alpha)") }
        }
        let runnability = isAdapter ? nil : Runnability(file)
        if json {
            print(try jsonLine(InspectedFile(file: file, runnability: runnability)))
            return
        }
        if isAdapter { print(Self.adapterSummary(file)) }
        if let runnability { print(runnability.description) }
        print("\(file.path): GGUF v\(file.version), \(file.fileSize) bytes, alignment \(file.alignment)")
        print("metadata (\(file.metadata.keys.count) keys):")
        for key in file.metadata.keys {
            print("  \(key) = \(file.metadata[key].map(Self.describe) ?? "")")
        }
        print("tensors (\(file.tensors.count)):")
        let width = file.tensors.map(\.name.count).max() ?? 0
        for tensor in file.tensors {
            let name = tensor.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let type = tensor.type.description.padding(toLength: 7, withPad: " ", startingAt: 0)
            print("  \(name)  \(type) \(tensor.shape)")
        }
    }

    /// One line on a LoRA adapter: what it adapts, its ranks and types.
    static func adapterSummary(_ file: GGUFFile) -> String {
        let a = file.tensors.filter { $0.name.hasSuffix(".lora_a") }
        let b = file.tensors.filter { $0.name.hasSuffix(".lora_b") }
        let ranks = Set(b.compactMap { $0.shape.first }).sorted().map(String.init).joined(separator: ", ")
        let types = Set((a + b).map(\.type.description)).sorted().joined(separator: ", ")
        let architecture = ((try? file.metadata.string("general.architecture")) ?? nil) ?? "no architecture"
        let alpha = file.metadata["adapter.lora.alpha"].map(describe) ?? "none"
        return "LoRA adapter (\(architecture)): \(a.count) adapted matrices, rank \(ranks.isEmpty ? "?" : ranks), alpha \(alpha), types \(types)"
    }

    static func describe(_ value: GGUFValue) -> String {
        switch value {
        case let .string(s): return s.debugDescription
        case let .array(elementType, values):
            if values.count > arrayPreview { return "[\(elementType) × \(values.count)]" }
            return "[" + values.map(describe).joined(separator: ", ") + "]"
        case let .bool(b): return "\(b)"
        case let .float32(f): return "\(f)"
        case let .float64(f): return "\(f)"
        default: return value.integer.map { "\($0)" } ?? "\(value)"
        }
    }
}

/// Whether poe runs a model file: it loads as a `Transformer`, or the one sentence of what keeps it from loading.
struct Runnability: CustomStringConvertible {
    let config: TransformerConfig?
    let problem: String?

    init(_ file: GGUFFile) {
        do {
            config = try Transformer(file: file).config
            problem = nil
        } catch {
            config = nil
            problem = "\(error.problem)"
        }
    }

    var description: String {
        guard let config else { return "poe cannot run this file: \(problem ?? "")" }
        return "poe runs this file: \(config.architecture.rawValue), \(config.layerCount) layers, d \(config.embeddingLength), "
            + "\(config.vocabularySize) tokens, context \(config.contextLength)"
    }
}

/// `poe inspect --json`: whether poe runs the file, the file, its metadata in file order and its tensors.
private struct InspectedFile: Encodable {
    let file: GGUFFile
    let runnability: Runnability?

    enum Keys: String, CodingKey { case runnable, problem, path, version, fileSize = "file_size", alignment, metadata, tensors }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        if let runnability {
            try container.encode(runnability.config != nil, forKey: .runnable)
            try container.encodeIfPresent(runnability.problem, forKey: .problem)
        }
        try container.encode(file.path, forKey: .path)
        try container.encode(file.version, forKey: .version)
        try container.encode(file.fileSize, forKey: .fileSize)
        try container.encode(file.alignment, forKey: .alignment)
        var metadata = container.nestedContainer(keyedBy: AnyKey.self, forKey: .metadata)
        for key in file.metadata.keys {
            if let value = file.metadata[key] { try metadata.encode(MetadataValue(value), forKey: AnyKey(key)) }
        }
        try container.encode(file.tensors.map(TensorRow.init), forKey: .tensors)
    }
}

private struct TensorRow: Encodable {
    let name: String, type: String, shape: [Int], offset: Int, bytes: Int

    init(_ info: GGUFTensorInfo) {
        (name, type, shape, offset, bytes) = (info.name, info.type.description, info.shape, info.offset, info.byteCount)
    }
}

/// A metadata value as plain JSON; long arrays become `{"array": type, "count": n}`.
private struct MetadataValue: Encodable {
    let value: GGUFValue

    init(_ value: GGUFValue) { self.value = value }

    func encode(to encoder: any Encoder) throws {
        switch value {
        case let .array(elementType, values) where values.count > InspectCommand.arrayPreview:
            var container = encoder.container(keyedBy: AnyKey.self)
            try container.encode(elementType.description, forKey: AnyKey("array"))
            try container.encode(values.count, forKey: AnyKey("count"))
        case let .array(_, values):
            var container = encoder.unkeyedContainer()
            for element in values { try container.encode(MetadataValue(element)) }
        default:
            var container = encoder.singleValueContainer()
            switch value {
            case let .string(s): try container.encode(s)
            case let .bool(b): try container.encode(b)
            case let .float32(f): try container.encode(f)
            case let .float64(f): try container.encode(f)
            case let .uint64(u): try container.encode(u)
            default: try container.encode(value.integer ?? 0)
            }
        }
    }
}

struct AnyKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}
