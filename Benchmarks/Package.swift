// swift-tools-version: 6.1
// Speed benchmarks, in their own package so that the library depends on nothing it does not need.
import Foundation
import PackageDescription

// swift-poe is the directory above. A path dependency is known by its directory's name (lowercased),
// and a clone may be named anything, so the name is read rather than written in.
let swiftPoe = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent.lowercased()

let package = Package(
    name: "swift-poe-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .executableTarget(
            name: "poe-benchmarks",
            dependencies: [
                .product(name: "PoE", package: swiftPoe),
                .product(name: "PoERules", package: swiftPoe),
                .product(name: "PoEBench", package: swiftPoe),
                .product(name: "PoETransformer", package: swiftPoe),
                .product(name: "PoEModels", package: swiftPoe),
                .product(name: "PoEKernels", package: swiftPoe),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/poe-benchmarks"
        ),
    ],
    swiftLanguageModes: [.v6]
)
