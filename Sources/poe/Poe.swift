import ArgumentParser

@main
struct Poe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poe",
        abstract: "Product-of-experts decoding with language models.",
        subcommands: [GenerateCommand.self, ModelsCommand.self, InspectCommand.self, TokenizeCommand.self, LogitsCommand.self]
    )
}
