import ArgumentParser
import Foundation
import PoE
import PoETransformer

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Turn text into the model's token ids.",
        discussion: """
            Only the file's vocabulary is read, not its weights. BOS is added when the model asks for it
            (tokenizer.ggml.add_bos_token) unless --no-bos is given. Without --special, text such as
            "<end_of_turn>" is tokenized as plain characters.
            """
    )

    @OptionGroup var model: ModelOption
    @Flag(help: "Recognise special tokens written in the text.") var special = false
    @Flag(name: .customLong("no-bos"), help: "Do not add BOS (or EOS) even where the model asks for it.") var noBOS = false
    @Flag(help: "Print a JSON array of ids and nothing else.") var json = false
    @Argument(help: "The text, or - to read standard input byte for byte.") var text: String

    func run() throws {
        let input = text == "-" ? try Self.readStandardInput() : text
        let tokenizer = try GGUFTokenizer(path: model.resolve().path)
        let ids = try tokenizer.encode(input, addSpecial: !noBOS, parseSpecial: special)
        if json {
            print(try jsonLine(ids))
            return
        }
        for id in ids {
            let piece = String(decoding: tokenizer.pieceBytes(id, renderSpecial: true), as: UTF8.self)
            print("\(id)\t\(piece.debugDescription)")
        }
    }

    /// All of standard input, which must be UTF-8.
    static func readStandardInput() throws -> String {
        let bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let offset = firstInvalidUTF8Offset(bytes) ?? 0
            throw ValidationError("standard input is not valid UTF-8 (at byte \(offset))")
        }
        return text
    }

    /// Where a byte sequence stops being valid UTF-8.
    static func firstInvalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var offset = 0
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case let .scalarValue(scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
