import PoE
import PoETransformer
import Testing

/// Special ids and the end-of-generation set equal llama.cpp's.
@Suite struct VocabularyTests {
    @Test(arguments: RealModels.names)
    func specialIDsMatchLlamaCpp(model: String) throws {
        let expected = try Fixtures.load(VocabularyFixture.self, "\(model)/vocabulary.json")
        let transformer = try RealModels.named(model)
        let vocabulary = transformer.vocabulary
        #expect(vocabulary.count == expected.size)
        #expect(vocabulary.bos == expected.bos)
        #expect(vocabulary.eos == expected.eos)
        #expect(vocabulary.addsBOS == expected.add_bos)
        #expect(vocabulary.endOfGeneration == Set(expected.end_of_generation))
        #expect(transformer.contextLength == expected.context_length)
    }
}
