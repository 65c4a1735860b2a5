/// What can go wrong in a benchmark, each in one sentence that says where.
public enum BenchError: Error, Equatable, CustomStringConvertible {
    /// A problem with the instruction file, at a line when there is one.
    case instructionFile(path: String, line: Int?, reason: String)
    /// A report to resume that cannot be read or does not match the run.
    case report(path: String, reason: String)
    /// The directory a report is to be written to cannot take it.
    case output(path: String, reason: String)
    /// A command-line value that is wrong (a shard, a judge pair).
    case option(String)
    /// The judge cannot be asked, or judged what it was not given.
    case judge(String)
    /// Shard reports that cannot be merged into one.
    case merge(path: String, reason: String)
    /// The reference response does not fit the model's context.
    case referenceTooLong(instruction: Int, tokens: Int, capacity: Int)

    public var description: String {
        switch self {
        case let .instructionFile(path, line?, reason): "\(path), line \(line): \(reason)"
        case let .instructionFile(path, nil, reason): "\(path): \(reason)"
        case let .report(path, reason): "cannot resume from \(path): \(reason)"
        case let .output(path, reason): "cannot write the report to \(path): \(reason)"
        case let .option(reason), let .judge(reason): reason
        case let .merge(path, reason): "cannot merge \(path): \(reason)"
        case let .referenceTooLong(instruction, tokens, capacity):
            "instruction \(instruction + 1): its prompt and reference take \(tokens) tokens, more than the context's \(capacity)"
        }
    }
}
