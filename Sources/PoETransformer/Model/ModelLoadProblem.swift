/// What keeps a GGUF file from loading as a model.
public enum ModelLoadProblem: Error, Equatable, CustomStringConvertible {
    /// An architecture swift-poe does not run.
    case unsupportedArchitecture(String)
    /// A metadata key the model needs is missing or wrong.
    case metadata(GGUFMetadataError)
    /// The vocabulary could not be read.
    case tokenizer(TokenizerError)
    /// A hyperparameter outside the values that make sense.
    case invalidHyperparameter(key: String, value: String, requirement: String)
    /// A feature of the file that swift-poe does not implement.
    case unsupported(feature: String)
    /// A weight the architecture needs is not in the file.
    case missingTensor(String)
    /// A weight whose shape does not fit the hyperparameters.
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    /// A weight of a type swift-poe cannot read.
    case unsupportedTensorType(UnsupportedTensorType)
    /// Tensors the architecture does not read: a variant of it swift-poe does not know.
    case unusedTensors(architecture: String, names: [String])

    public var description: String {
        switch self {
        case let .unsupportedArchitecture(name):
            "unsupported architecture '\(name)' (supported: \(TransformerConfig.Architecture.allCases.map(\.rawValue).joined(separator: ", ")))"
        case let .metadata(error):
            "\(error)"
        case let .tokenizer(error):
            "\(error)"
        case let .invalidHyperparameter(key, value, requirement):
            "metadata key '\(key)' is \(value), but \(requirement)"
        case let .unsupported(feature):
            "\(feature) is not supported"
        case let .missingTensor(name):
            "the required tensor '\(name)' is missing"
        case let .wrongShape(tensor, expected, found):
            "tensor '\(tensor)' has shape \(found), expected \(expected)"
        case let .unsupportedTensorType(error):
            "\(error)"
        case let .unusedTensors(architecture, names):
            "the file has \(names.count) tensor\(names.count == 1 ? "" : "s") that '\(architecture)' does not use ("
                + names.prefix(4).map { "'\($0)'" }.joined(separator: ", ") + (names.count > 4 ? ", ..." : "")
                + "): a variant of the architecture swift-poe does not run"
        }
    }
}
