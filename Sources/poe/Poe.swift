import ArgumentParser
import Foundation
import PoETransformer

@main
enum PoeMain {
    static func main() async {
        OpenBLAS.restartWithFastestKernels()
        await Poe.main()
    }
}

struct Poe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poe",
        abstract: "Product-of-experts decoding with language models.",
        subcommands: [GenerateCommand.self, ServeCommand.self, BenchCommand.self, DistillCommand.self, TrainCommand.self, SpeedCommand.self, ModelsCommand.self, InspectCommand.self, TokenizeCommand.self, LogitsCommand.self]
    )
}
