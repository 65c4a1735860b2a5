import Foundation
import FuzzSupport
import PoEBench

/// Any bytes as a `poe bench` instruction file: parsed, or refused with an error naming the line; what
/// parses holds only non-empty instructions.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInstructionFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let items = try? InstructionFile.parse(Data(fuzzBytes(data, size)), path: "fuzz.jsonl") else { return 0 }
    fuzzCheck(!items.isEmpty && items.allSatisfy { !$0.instruction.isEmpty }, "parsed an empty instruction list or instruction")
    return 0
}
