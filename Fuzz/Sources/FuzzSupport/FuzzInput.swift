import Foundation
import PoEModels
import PoETransformer

/// The bytes libFuzzer hands a target, as an array.
public func fuzzBytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}

/// A failed property: libFuzzer records the input that made it (a trap is a crash to it).
public func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data(("property failed: " + message() + "\n").utf8))
        abort()
    }
}

/// A file in memory-backed storage that a target rewrites for each input (for readers that take a path).
public struct ScratchFile: Sendable {
    public let path: String

    public init(suffix: String) {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        path = "\(directory)/poe-fuzz-\(getpid())\(suffix)"
    }

    public func write(_ bytes: [UInt8]) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if n <= 0 { return }
            written += n
        }
    }
}

/// A tokenizer the targets load once, from a model `poe models fetch --all` put in the model folder.
public func loadTokenizer(_ name: String) -> GGUFTokenizer {
    do {
        return try GGUFTokenizer(path: ModelStore().resolve(name).path)
    } catch {
        FileHandle.standardError.write(Data("cannot load \(name): \(error) (run `poe models fetch --all` first)\n".utf8))
        exit(2)
    }
}
