// swift-tools-version: 6.1
// Coverage-guided fuzz targets for swift-poe's input paths (libFuzzer). A package of its own, so the
// library keeps no fuzzing code; `make fuzz` builds each target with `--sanitize=fuzzer` and AddressSanitizer
// (for leaks and memory errors in the C kernels) and runs it on the seeds in Fuzz/Seeds. See docs/reliability.md.
import PackageDescription

let package = Package(
    name: "poe-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "swift-poe", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "PoE", package: "swift-poe"), .product(name: "PoETransformer", package: "swift-poe")]),
        .executableTarget(
            name: "FuzzGGUF",
            dependencies: ["FuzzSupport", .product(name: "PoE", package: "swift-poe"), .product(name: "PoETransformer", package: "swift-poe")]),
        .executableTarget(
            name: "FuzzTokenizer",
            dependencies: ["FuzzSupport", .product(name: "PoE", package: "swift-poe"), .product(name: "PoETransformer", package: "swift-poe")]),
        .executableTarget(
            name: "FuzzRuleSet",
            dependencies: [
                "FuzzSupport", .product(name: "PoE", package: "swift-poe"), .product(name: "PoERules", package: "swift-poe"),
                .product(name: "PoETransformer", package: "swift-poe"),
            ]),
        .executableTarget(
            name: "FuzzInstructionFile",
            dependencies: ["FuzzSupport", .product(name: "PoEBench", package: "swift-poe")]),
    ],
    swiftLanguageModes: [.v6]
)
