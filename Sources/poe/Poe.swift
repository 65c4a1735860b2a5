import ArgumentParser
import Foundation
import PoETransformer

@main
enum PoeMain {
    static func main() async {
        tuneOpenBLAS()
        await Poe.main()
    }

    /// Re-executes `poe` with `OPENBLAS_CORETYPE` set to `POE_OPENBLAS_CORETYPE`, or else to
    /// `OpenBLAS.recommendedCoreType` where OpenBLAS is running kernels too old for this CPU (even when
    /// `OPENBLAS_CORETYPE` asked for them, as some machines' defaults do). OpenBLAS reads the variable
    /// only as it loads, hence the new process; `POE_OPENBLAS_CORETYPE=` (empty) turns this off.
    static func tuneOpenBLAS() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["POE_OPENBLAS_TUNED"] == nil,
              let core = environment["POE_OPENBLAS_CORETYPE"] ?? OpenBLAS.recommendedCoreType,
              !core.isEmpty, core != OpenBLAS.coreName
        else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("POE_OPENBLAS_TUNED", "1", 1)  // once: never loop, whatever OpenBLAS makes of the name
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached if execv failed: carry on with the kernels OpenBLAS chose.
    }
}

struct Poe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poe",
        abstract: "Product-of-experts decoding with language models.",
        subcommands: [GenerateCommand.self, ServeCommand.self, BenchCommand.self, DistillCommand.self, TrainCommand.self, SpeedCommand.self, ModelsCommand.self, InspectCommand.self, TokenizeCommand.self, LogitsCommand.self]
    )
}
