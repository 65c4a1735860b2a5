// swift-tools-version: 6.1
// Speed benchmarks, in their own package so that the library depends on nothing it does not need.
import PackageDescription

let package = Package(
    name: "swift-poe-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "swift-poe", path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .executableTarget(
            name: "poe-benchmarks",
            dependencies: [
                .product(name: "PoE", package: "swift-poe"),
                .product(name: "PoERules", package: "swift-poe"),
                .product(name: "PoEBench", package: "swift-poe"),
                .product(name: "PoETransformer", package: "swift-poe"),
                .product(name: "PoEKernels", package: "swift-poe"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/poe-benchmarks"
        ),
    ],
    swiftLanguageModes: [.v6]
)
