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

/// A file that could not be read whole (`FileContents`): `"rules.json: does not exist"`.
public typealias FileReadError = FileError<FileReadProblem>

public enum FileReadProblem: Error, Equatable, CustomStringConvertible {
    case missing
    case directory
    case permissionDenied
    case closed
    case notUTF8(atByte: Int)
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
