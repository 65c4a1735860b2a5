// swift-tools-version: 6.1
// Programs that use swift-poe the way a package depending on it would: the example generator (make
// example), the README's program (haiku) and the custom expert of the DocC article "Writing an expert".
import Foundation
import PackageDescription

// swift-poe is the directory above. A path dependency is known by its directory's name (lowercased),
// and a clone may be named anything, so the name is read rather than written in.
let swiftPoe = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()

/// The library products the README's Package.swift names.
let everything: [Target.Dependency] = ["PoE", "PoERules", "PoETransformer", "PoEModels"].map { .product(name: $0, package: swiftPoe) }

let package = Package(
    name: "swift-poe-examples",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "example-generator",
            dependencies: everything,
            path: "Sources/example-generator"
        ),
        .executableTarget(
            name: "custom-expert",
            dependencies: [
                .product(name: "PoE", package: swiftPoe),
                .product(name: "PoETransformer", package: swiftPoe),
                .product(name: "PoEModels", package: swiftPoe),
            ],
            path: "Sources/custom-expert"
        ),
        // The README's program, word for word (scripts/dependent_check.sh compares them).
        .executableTarget(
            name: "haiku",
            dependencies: everything,
            path: "Sources/haiku"
        ),
    ],
    swiftLanguageModes: [.v6]
)
