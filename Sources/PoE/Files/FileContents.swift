#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole files read into memory: regular files, and streams such as pipes, process substitutions
/// (`<(cat rules.json)`) and standard input, read to their end. Every failure is a `FileReadError`
/// naming the path and what is wrong with it.
package enum FileContents {
    /// The bytes of the file at `path`.
    package static func read(_ path: String) throws(FileReadError) -> [UInt8] {
        var status = stat()
        guard stat(path, &status) == 0 else { throw FileReadError(path: path, problem: .from(errno)) }
        if (status.st_mode & S_IFMT) == S_IFDIR { throw FileReadError(path: path, problem: .directory) }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FileReadError(path: path, problem: .from(errno)) }
        defer { close(descriptor) }
        return try read(descriptor: descriptor, name: path)
    }

    /// Everything on standard input, until its end. A closed standard input is an error.
    package static func readStandardInput() throws(FileReadError) -> [UInt8] {
        // Started with standard input closed (`<&-`), a process may find descriptor 0 taken by whatever
        // opened a file first (the runtime's own event descriptors, which are files of no type).
        var status = stat()
        guard fstat(STDIN_FILENO, &status) == 0, status.st_mode & S_IFMT != 0 else {
            throw FileReadError(path: "standard input", problem: .closed)
        }
        return try read(descriptor: STDIN_FILENO, name: "standard input")
    }

    /// Reads `descriptor` until the end of its data.
    static func read(descriptor: Int32, name: String) throws(FileReadError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileReadError(path: name, problem: .from(errno))
            }
            bytes.append(contentsOf: chunk[0 ..< count])
        }
    }

    /// The text of the file at `path`, which must be UTF-8.
    package static func readText(_ path: String) throws(FileReadError) -> String {
        try text(read(path), name: path)
    }

    /// Bytes as UTF-8 text; the error names the first byte that is not.
    package static func text(_ bytes: [UInt8], name: String) throws(FileReadError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FileReadError(path: name, problem: .notUTF8(atByte: firstInvalidUTF8Offset(bytes) ?? 0))
        }
        return text
    }

    /// Where a byte sequence stops being valid UTF-8.
    package static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var offset = 0
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif

extension FileReadProblem {
    /// The problem an `errno` from open, stat or read names.
    static func from(_ code: Int32) -> FileReadProblem {
        switch code {
        case ENOENT: .missing
        case EACCES, EPERM: .permissionDenied
        case EBADF: .closed
        case EISDIR: .directory
        default: .other(String(cString: strerror(code)))
        }
    }
}
