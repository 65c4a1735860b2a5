import PoEBench
import Testing

/// Each measure on hand-made responses whose right value is known.
@Suite struct TextMetricsTests {
    @Test func wordsAreLowercasedRunsOfLettersAndDigits() {
        #expect(TextMetrics.words("Don't stop! 3 times—ÉTÉ.") == ["don", "t", "stop", "3", "times", "été"])
        #expect(TextMetrics.words(" \n.,") == [])
    }

    @Test func echo() {
        let instruction = "Give me a recipe for tiramisu."
        #expect(TextMetrics.echoes("Give me a recipe for tiramisu, please.", instruction: instruction))
        #expect(TextMetrics.echoes("Sure. You asked: give me a RECIPE for tiramisu!", instruction: instruction))
        #expect(!TextMetrics.echoes("Here is a recipe for tiramisu: ladyfingers, coffee.", instruction: instruction), "four words in common, not six")
        // Short instructions need all their words, in order.
        #expect(TextMetrics.echoes("Hi there, friend", instruction: "Hi there"))
        #expect(!TextMetrics.echoes("There, hi", instruction: "Hi there"))
        #expect(!TextMetrics.echoes("Hi", instruction: "Hi there"))
        #expect(!TextMetrics.echoes("anything", instruction: "?!"))
    }

    @Test func turnLeak() {
        #expect(TextMetrics.leaksTurn("Sure.\n<|user|>\nThanks!"))
        #expect(TextMetrics.leaksTurn("Paris.<end_of_turn>"))
        #expect(TextMetrics.leaksTurn("Paris.\nUser: and Rome?"))
        #expect(TextMetrics.leaksTurn("Paris.\n   ### Response: Rome"))
        #expect(TextMetrics.leaksTurn("human: hello"))
        #expect(!TextMetrics.leaksTurn("Ask the user: what do you need?"), "a role word mid-line is not a turn")
        #expect(!TextMetrics.leaksTurn("I am a user of <b> tags."))
        #expect(!TextMetrics.leaksTurn(""))
    }

    @Test func selfRepetition() {
        // 8 words, 5 four-grams (abcd bcda cdab dabc abcd), one repeated.
        #expect(TextMetrics.selfRepetition("a b c d a b c d") == 0.2)
        #expect(TextMetrics.selfRepetition("One two three four five.") == 0)
        #expect(TextMetrics.selfRepetition("go go go go go go") == 2.0 / 3.0)
        #expect(TextMetrics.selfRepetition("a b c") == nil)
    }

    @Test func distinct2() {
        // Bigrams ab ba ab, then ab: 2 distinct of 4; none cross the responses' boundary.
        #expect(TextMetrics.distinct2(["a b a b", "a b"]) == 0.5)
        #expect(TextMetrics.distinct2(["x y", "z w"]) == 1)
        #expect(TextMetrics.distinct2(["one", ""]) == nil)
        #expect(TextMetrics.distinct2([]) == nil)
    }
}
