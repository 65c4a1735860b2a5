import PoE

extension Transformer {
    /// The model's own prompt template, when its `tokenizer.chat_template` is one swift-poe recognises
    /// (ChatML as SmolLM2 and Qwen write it, Gemma's turns); nil for a base model without one.
    public var ownTemplate: PromptTemplate? {
        guard let template = (try? file.metadata.string("tokenizer.chat_template")) ?? nil else { return nil }
        if template.contains("<|im_start|>") { return .chatml }
        if template.contains("<start_of_turn>") { return .gemma }
        if template.contains("<|user|>") && template.contains("<|assistant|>") { return .tulu }
        return nil
    }
}
