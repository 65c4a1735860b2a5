import Foundation
import FuzzSupport
import PoE
import PoERules
import PoETransformer

/// Any bytes as a rule-set file, taken as far as `poe generate --rules FILE` takes one: decoded and
/// validated, built for a real tokenizer (SmolLM2's), multiplied into a product, and stepped a few times
/// over fixed base logits, each expert told each token. Errors are the point; a crash, hang or leak is
/// a defect. A rule set that decodes must also encode and decode back to itself.
private let tokenizer = loadTokenizer("smollm2-135m-instruct")
private let base: [Float] = (0 ..< tokenizer.vocabulary.count).map { Float(($0 * 7919) % 2003) / 200 - 5 }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRuleSet(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let rules = try? RuleSet.decode(fuzzBytes(data, size), source: "fuzz") else { return 0 }
    if let encoded = try? JSONEncoder().encode(rules) {
        let again = try? RuleSet.decode(Array(encoded), source: "re-encoded")
        fuzzCheck(again == rules, "a decoded rule set does not survive encoding: \(rules)")
    }
    guard let experts = try? rules.build(RuleBuildContext(tokenizer: tokenizer)),
          let product = try? ProductOfExperts(experts, vocabulary: tokenizer.vocabulary),
          let prompt = try? PromptTemplate.tulu.prompt(for: "Name three colours.", tokenizer: tokenizer),
          let state = try? product.start(prompt)
    else { return 0 }
    var tokens = prompt.tokens
    var row = [Float](repeating: 0, count: base.count)
    for step in 0 ..< 4 {
        let chosen: TokenID? = base.withUnsafeBufferPointer { base in
            row.withUnsafeMutableBufferPointer { row in
                guard (try? state.combine(ExpertStep(tokens: tokens, prompt: prompt, baseLogits: base), into: row)) != nil else { return nil }
                return argmax(UnsafeBufferPointer(row))
            }
        }
        guard let chosen else { return 0 }
        fuzzCheck(tokenizer.vocabulary.contains(chosen), "step \(step): the product chose id \(chosen)")
        guard (try? state.accept(chosen)) != nil else { return 0 }
        tokens.append(chosen)
    }
    return 0
}
