// The example generator: a pretrained (base) model answers a few instructions alone and in a product with
// the paper's three rules (Hewitt et al. 2024), greedily, with the Tulu template, side by side.
//
//     swift run -c release --package-path Examples example-generator [model] [max-tokens]

import Foundation
import PoE
import PoEModels
import PoERules
import PoETransformer

OpenBLAS.restartWithFastestKernels()

let arguments = CommandLine.arguments.dropFirst()
let modelName = arguments.first ?? ModelCatalog.defaultName
let maxTokens = arguments.dropFirst().first.flatMap(Int.init) ?? 120

let instructions = [
    "What is Samyang Buldak ramen?",
    "Give me three tips for staying focused while studying.",
    "Write a haiku about autumn leaves.",
]

do {
    let path = try ModelStore().resolve(modelName) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    let model = try Transformer(path: path.path)
    let parameters = GenerationParameters(template: .tulu, maxTokens: maxTokens)
    let base = Generator(model: model, product: .none, parameters: parameters)
    let paper = Generator(
        model: model,
        product: try ProductOfExperts(RuleSet.paper.build(RuleBuildContext(tokenizer: model.tokenizer)), vocabulary: model.vocabulary),
        parameters: parameters)

    print("\(modelName): base model alone vs. the paper's rules (greedy, Tulu template, at most \(maxTokens) tokens)\n")
    for instruction in instructions {
        let alone = try base.generate(instruction)
        let ruled = try paper.generate(instruction)
        print("### \(instruction)\n")
        printColumns(
            ("base model (\(alone.tokens.count) tokens, \(alone.stopReason.rawValue))", alone.text),
            ("with the paper's rules (\(ruled.tokens.count) tokens, \(ruled.stopReason.rawValue))", ruled.text))
        print()
    }
} catch {
    FileHandle.standardError.write(Data("example-generator: \(error)\n".utf8))
    exit(1)
}

/// Two texts in columns of 58 characters.
func printColumns(_ left: (String, String), _ right: (String, String), width: Int = 58) {
    func lines(_ title: String, _ text: String) -> [String] {
        var result = [title, String(repeating: "-", count: width)]
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                if line.count + word.count + 1 > width, !line.isEmpty {
                    result.append(line)
                    line = ""
                }
                line += (line.isEmpty ? "" : " ") + word.prefix(width)
            }
            result.append(line)
        }
        return result
    }
    let a = lines(left.0, left.1), b = lines(right.0, right.1)
    for i in 0 ..< max(a.count, b.count) {
        let l = i < a.count ? a[i] : ""
        print(l.padding(toLength: width, withPad: " ", startingAt: 0) + " | " + (i < b.count ? b[i] : ""))
    }
}
