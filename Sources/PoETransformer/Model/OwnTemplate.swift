import PoE

extension Transformer {
    /// The model's own prompt template, when its `tokenizer.chat_template` is of a family swift-poe renders
    /// (`PromptTemplate.recognizing(chatTemplate:)`); nil for a base model without one.
    public var ownTemplate: PromptTemplate? {
        guard let template = (try? file.metadata.string("tokenizer.chat_template")) ?? nil else { return nil }
        return PromptTemplate.recognizing(chatTemplate: template)
    }
}
