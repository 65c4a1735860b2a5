/// A problem with a file, and which file: `"path: problem"`.
public struct FileError<Problem: Error & Equatable & CustomStringConvertible>: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// Why a GGUF file could not be read.
public typealias GGUFError = FileError<GGUFProblem>

/// Why a readable GGUF file could not be loaded as a model.
public typealias ModelLoadError = FileError<ModelLoadProblem>
