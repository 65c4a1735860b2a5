#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory.
///
/// `@unchecked Sendable` is safe: the mapping is created `PROT_READ` in `init`, never written through,
/// and unmapped only in `deinit`, when no other reference (and so no other thread) can reach it.
package final class MappedFile: @unchecked Sendable {
    package let path: String
    package let bytes: UnsafeRawBufferPointer

    package init(path: String) throws(GGUFError) {
        self.path = path
        // Non-blocking: opening a FIFO for reading would otherwise wait for a writer forever. It changes
        // nothing for a regular file, and anything else is refused below.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw GGUFError(path: path, problem: .cannotOpen(reason: String(cString: strerror(errno))))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw GGUFError(path: path, problem: .cannotOpen(reason: String(cString: strerror(errno))))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            let kind = switch status.st_mode & S_IFMT {
            case S_IFDIR: "a directory"
            case S_IFIFO: "a pipe (FIFO)"
            case S_IFCHR, S_IFBLK: "a device"
            case S_IFSOCK: "a socket"
            default: "a special file"
            }
            throw GGUFError(path: path, problem: .cannotOpen(reason: "it is \(kind), not a regular file that can be mapped into memory"))
        }
        let size = Int(status.st_size)
        guard size > 0 else { throw GGUFError(path: path, problem: .emptyFile) }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw GGUFError(path: path, problem: .cannotOpen(reason: String(cString: strerror(errno))))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
    }
}
