package dev.upfleet.core.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NodeSelectorTest {
    private static final Map<String, String> DB_LABELS = Map.of("role", "db", "zone", "fra1");

    @ParameterizedTest(name = "[{0}] selects {1}: {2}")
    @CsvSource(delimiter = '|', value = {
        "*|db-1|true",
        "''|db-1|true",
        "db-*|db-1|true",
        "db-*|web-1|false",
        "web-1,db-1|db-1|true",
        "role=db|db-1|true",
        "role=web|db-1|false",
        "role=db zone=fra*|db-1|true",
        "role=db zone=ams*|db-1|false",
        "db-* role=db|db-1|true",
        "web-* role=db|db-1|false",
        "missing=x|db-1|false",
    })
    void selects(String selector, String node, boolean expected) {
        assertThat(NodeSelector.parse(selector).matches(node, DB_LABELS)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource({"db-1,true", "a,true", "web.fra1,true", "-x,false", "a/b,false", "'',false", "a b,false", "é,false"})
    void nodeNames(String name, boolean valid) {
        assertThat(NodeSelector.validNodeName(name)).isEqualTo(valid);
    }
}
