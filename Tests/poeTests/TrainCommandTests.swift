import Foundation
import Testing

/// `poe train` on SmolLM2: a response-tuning run whose logged loss falls, an adapter the other commands
/// read, and an interrupted run that resumes to the same adapter.
@Suite struct TrainCommandTests {
    typealias CLI = CommandLineTests

    static func temporary(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("poe-train-\(UUID().uuidString)\(suffix)").path
    }

    static func data() throws -> String {
        let responses = [
            "Paris is the capital of France.", "Water boils at 100 degrees Celsius at sea level.", "The sky looks blue because air scatters blue light.",
            "Three primary colours are red, yellow and blue.", "A haiku has three lines of five, seven and five syllables.",
            "To stay focused, take short breaks and put your phone away.",
        ]
        let path = temporary(".jsonl")
        try Data(responses.map { #"{"output": "\#($0)"}"# }.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func arguments(data: String, out: String, steps: Int, log: String) -> [String] {
        ["train", "--model", "smollm2-135m-instruct", "--data", data, "--format", "response", "--out", out, "--steps", "\(steps)",
         "--batch-tokens", "64", "--learning-rate", "2e-3", "--eval-fraction", "0", "--log", log, "--checkpoint-every", "4"]
    }

    static func losses(_ log: String) throws -> [Double] {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            try #require((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["loss"] as? Double)
        }
    }

    @Test func theLossFallsAndTheAdapterWorks() throws {
        let (data, out, log) = (try Self.data(), Self.temporary(".gguf"), Self.temporary(".log"))
        let run = try CLI.poe(Self.arguments(data: data, out: out, steps: 40, log: log))
        #expect(run.status == 0, "\(run.errors)")
        let losses = try Self.losses(log)
        #expect(losses.count == 40)
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        print("[train] SmolLM2, 40 steps: mean loss of the first five \(first), of the last five \(last)")
        #expect(last < 0.8 * first, "\(first) -> \(last)")
        let inspect = try CLI.poe("inspect", out, "--base", "smollm2-135m-instruct")
        #expect(inspect.status == 0 && inspect.output.hasPrefix("fits smollm2-135m-instruct: 210 adapted matrices, rank 8, alpha 16.0"), "\(inspect.errors)")
    }

    @Test func anInterruptedRunResumesToTheSameAdapter() throws {
        let data = try Self.data()
        let (whole, wholeLog) = (Self.temporary(".gguf"), Self.temporary(".log"))
        #expect(try CLI.poe(Self.arguments(data: data, out: whole, steps: 10, log: wholeLog)).status == 0)

        let (cut, cutLog) = (Self.temporary(".gguf"), Self.temporary(".log"))
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = Self.arguments(data: data, out: cut, steps: 10, log: cutLog)
        process.standardError = Pipe()
        process.standardOutput = Pipe()
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline, (try? Self.losses(cutLog).count) ?? 0 < 5 { usleep(20_000) }
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let resumed = try CLI.poe(Self.arguments(data: data, out: cut, steps: 10, log: cutLog) + ["--resume", cut + ".checkpoints"])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: cut)) == Data(contentsOf: URL(fileURLWithPath: whole)))
        #expect(try Self.losses(cutLog) == Self.losses(wholeLog))
    }
}
