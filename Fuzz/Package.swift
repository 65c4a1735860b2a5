// swift-tools-version: 6.1
// Coverage-guided fuzz targets for swift-poe's input paths (libFuzzer). A package of its own, so the
// library keeps no fuzzing code; `make fuzz` builds each target with `--sanitize=fuzzer` and AddressSanitizer
// (for leaks and memory errors in the C kernels) and runs it on the seeds in Fuzz/Seeds. See docs/reliability.md.
import Foundation
import PackageDescription

// swift-poe is the directory above. A path dependency is known by its directory's name (lowercased),
// and a clone may be named anything, so the name is read rather than written in.
let swiftPoe = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "poe-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [
                .product(name: "PoE", package: swiftPoe), .product(name: "PoETransformer", package: swiftPoe),
                .product(name: "PoEModels", package: swiftPoe),
            ]),
        .executableTarget(
            name: "FuzzGGUF",
            dependencies: ["FuzzSupport", .product(name: "PoE", package: swiftPoe), .product(name: "PoETransformer", package: swiftPoe)]),
        .executableTarget(
            name: "FuzzTokenizer",
            dependencies: ["FuzzSupport", .product(name: "PoE", package: swiftPoe), .product(name: "PoETransformer", package: swiftPoe)]),
        .executableTarget(
            name: "FuzzRuleSet",
            dependencies: [
                "FuzzSupport", .product(name: "PoE", package: swiftPoe), .product(name: "PoERules", package: swiftPoe),
                .product(name: "PoETransformer", package: swiftPoe),
            ]),
        .executableTarget(
            name: "FuzzInstructionFile",
            dependencies: ["FuzzSupport", .product(name: "PoEBench", package: swiftPoe)]),
    ],
    swiftLanguageModes: [.v6]
)
