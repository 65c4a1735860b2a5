/// What keeps a GGUF file from loading as a model.
public enum ModelLoadProblem: Error, Equatable, CustomStringConvertible {
    case unsupportedArchitecture(String)
    case metadata(GGUFMetadataError)
    case tokenizer(TokenizerError)
    case invalidHyperparameter(key: String, value: String, requirement: String)
    case unsupported(feature: String)
    case missingTensor(String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case unsupportedTensorType(UnsupportedTensorType)

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
        }
    }
}
