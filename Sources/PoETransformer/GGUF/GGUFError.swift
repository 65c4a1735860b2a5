import PoE

/// Why a GGUF file could not be read.
public typealias GGUFError = FileError<GGUFProblem>

/// Why a readable GGUF file could not be loaded as a model.
public typealias ModelLoadError = FileError<ModelLoadProblem>
