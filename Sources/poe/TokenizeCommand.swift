import ArgumentParser
import Foundation
import PoE
import PoETransformer

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Turn text into the model's token ids.",
        discussion: """
            Only the file's vocabulary is read, not its weights. BOS is added when the model asks for it \
            (tokenizer.ggml.add_bos_token) unless --no-bos is given. Without --special, text such as \
            "<end_of_turn>" is tokenized as plain characters.
            """
    )

    @OptionGroup var model: ModelFileOption
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
        do {
            return try FileContents.text(FileContents.readStandardInput(), name: "standard input")
        } catch {
            throw CommandError(error.description)
        }
    }
}
