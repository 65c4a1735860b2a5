/// A problem with a file, and which file: `"path: problem"`.
public struct FileError<Problem: Error & Equatable & CustomStringConvertible>: Error, Equatable, CustomStringConvertible {
    /// The file's path, as given.
    public let path: String
    /// What is wrong with it.
    public let problem: Problem

    /// A problem with the file at `path`.
    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// A file that could not be read whole (`FileContents`): `"rules.json: does not exist"`.
public typealias FileReadError = FileError<FileReadProblem>

/// Why a file could not be read.
public enum FileReadProblem: Error, Equatable, CustomStringConvertible {
    /// Nothing exists at the path.
    case missing
    /// The path is a directory.
    case directory
    /// The file may not be read.
    case permissionDenied
    /// The file (a stream) was closed.
    case closed
    /// The file is not UTF-8 text: the first bad byte's offset.
    case notUTF8(atByte: Int)
    /// Another failure, as the system reported it.
    case other(String)

    public var description: String {
        switch self {
        case .missing: "does not exist"
        case .directory: "is a directory, not a file"
        case .permissionDenied: "cannot be read (permission denied)"
        case .closed: "is closed"
        case let .notUTF8(offset): "is not valid UTF-8 text (at byte \(offset))"
        case let .other(reason): "cannot be read (\(reason))"
        }
    }
}
