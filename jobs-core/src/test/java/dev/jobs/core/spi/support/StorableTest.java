package dev.jobs.core.spi.support;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.junit.jupiter.api.Test;

class StorableTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Test
    void textRefusesNulAndLoneSurrogatesAndSaysWhere() {
        assertThat(Storable.textProblem("ab\u0000c"))
                .hasValueSatisfying(problem ->
                        assertThat(problem).contains("NUL").contains("U+0000").contains("index 2"));
        assertThat(Storable.textProblem("a\uD83D"))
                .hasValueSatisfying(problem ->
                        assertThat(problem).contains("lone surrogate (U+D83D)").contains("index 1"));
        assertThat(Storable.textProblem("\uDE00a"))
                .hasValueSatisfying(
                        problem -> assertThat(problem).contains("U+DE00").contains("index 0"));
        assertThat(Storable.textProblem("\uDE00\uD83D"))
                .as("a pair in the wrong order")
                .isPresent();
    }

    @Test
    void textKeepsEverythingElseIncludingControlCharactersAndPairs() {
        var every = new StringBuilder();
        for (char c = 1; c < 0xD800; c++) {
            every.append(c);
        }
        every.append("😀\uFFFE\uFFFF\u2028\\u0000");
        assertThat(Storable.textProblem(every.toString())).isEmpty();
        assertThat(Storable.textProblem("")).isEmpty();
    }

    @Test
    void labelsRefuseControlCharactersAndLineSeparatorsToo() {
        for (String label : new String[] {"worker\n1", "w\r", "w\t1", "w\u001b[31m", "w\u0085", "w\u2028", "w\u007f"}) {
            assertThat(Storable.labelProblem(label))
                    .as("label %s", Storable.shown(label, 40))
                    .hasValueSatisfying(problem -> assertThat(problem).contains("control character"));
        }
        assertThat(Storable.labelProblem("w\u0000"))
                .hasValueSatisfying(p -> assertThat(p).contains("NUL"));
        assertThat(Storable.labelProblem("worker-1@host.example 😀 ünï")).isEmpty();
    }

    @Test
    void jsonNamesTheValueOrKeyAtDepthAsAPointer() throws Exception {
        JsonNode payload = MAPPER.readTree("{\"items\":[{\"name\":\"ok\"},{\"name\":\"bad\\u0000\"}]}");
        assertThat(Storable.jsonProblem(payload))
                .hasValueSatisfying(problem ->
                        assertThat(problem).startsWith("at /items/1/name, the value holds the NUL character"));

        JsonNode key = MAPPER.readTree("{\"a/b\":{\"k\\u0000\":1}}");
        assertThat(Storable.jsonProblem(key))
                .hasValueSatisfying(
                        problem -> assertThat(problem).startsWith("at /a~1b, a key holds the NUL character"));

        JsonNode whole = NODES.textNode("\uD800");
        assertThat(Storable.jsonProblem(whole))
                .hasValueSatisfying(problem -> assertThat(problem).startsWith("the value holds a lone surrogate"));
    }

    @Test
    void aPointerThroughAnOddKeyIsItselfSafeToLog() {
        ObjectNode payload = NODES.objectNode();
        payload.putObject("line\nbreak\u2028").put("v", "\u0000");
        String problem = Storable.jsonProblem(payload).orElseThrow();
        assertThat(problem).startsWith("at /line\\u000Abreak\\u2028/v, ");
        assertThat(Storable.labelProblem(problem)).isEmpty();
    }

    @Test
    void numbersMustFitADouble() throws Exception {
        assertThat(Storable.jsonProblem(DoubleNode.valueOf(Double.POSITIVE_INFINITY)))
                .hasValueSatisfying(problem -> assertThat(problem).contains("Infinity is not a finite number"));
        assertThat(Storable.jsonProblem(DoubleNode.valueOf(Double.NaN))).isPresent();
        assertThat(Storable.jsonProblem(DecimalNode.valueOf(new BigDecimal("1e999999999"))))
                .hasValueSatisfying(problem -> assertThat(problem).contains("beyond the range of a double"));
        assertThat(Storable.jsonProblem(NODES.numberNode(BigInteger.TEN.pow(400))))
                .hasValueSatisfying(problem -> assertThat(problem)
                        .contains("beyond the range of a double")
                        .contains("401 characters"));
        assertThat(Storable.jsonProblem(DecimalNode.valueOf(new BigDecimal("-1e-400"))))
                .hasValueSatisfying(problem -> assertThat(problem).contains("closer to zero"));
        // A default mapper reads 1e400 as a double: Infinity, refused rather than stored so.
        assertThat(Storable.jsonProblem(MAPPER.readTree("{\"n\":[1e400]}")))
                .hasValueSatisfying(problem -> assertThat(problem).startsWith("at /n/0, the value Infinity"));

        for (String fine :
                new String[] {"1.7976931348623157E308", "-1.7976931348623157E308", "4.9E-324", "-0.0", "0"}) {
            assertThat(Storable.jsonProblem(DecimalNode.valueOf(new BigDecimal(fine))))
                    .as(fine)
                    .isEmpty();
            assertThat(Storable.jsonProblem(MAPPER.readTree(fine))).as(fine).isEmpty();
        }
        assertThat(Storable.jsonProblem(NODES.numberNode(BigInteger.TEN.pow(300))))
                .isEmpty();
    }

    @Test
    void aDeepTreeIsWalkedWithoutRecursion() {
        JsonNode node = NODES.textNode("\u0000");
        for (int i = 0; i < 100_000; i++) {
            node = NODES.arrayNode().add(node);
        }
        assertThat(Storable.jsonProblem(node)).isPresent();
    }

    @Test
    void cutNeverSplitsAPairAndRepairedReplacesOnlyWhatNoStoreKeeps() {
        assertThat(Storable.cut("ab😀", 3)).isEqualTo("ab");
        assertThat(Storable.cut("ab😀", 4)).isEqualTo("ab😀");
        assertThat(Storable.cut("abc", 2)).isEqualTo("ab");
        assertThat(Storable.repaired("a\u0000b\uD800c😀\n")).isEqualTo("a\uFFFDb\uFFFDc😀\n");
        String fine = "nothing to repair\t😀";
        assertThat(Storable.repaired(fine)).isSameAs(fine);
    }

    @Test
    void shownEscapesWhatCouldForgeALogLineAndSaysWhenItCut() {
        assertThat(Storable.shown("a\nb\u2028c\uD800😀", 80)).isEqualTo("a\\u000Ab\\u2028c\\uD800😀");
        assertThat(Storable.shown("abcdef", 3)).isEqualTo("abc…");
    }
}
