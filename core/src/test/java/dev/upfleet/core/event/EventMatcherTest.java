package dev.upfleet.core.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every rule of §4.3 plus upfleet's NODE rule. Columns: term (name and args, space separated), event (name and env,
 * space separated), event node, expected. The local node is "n1"; the expansion environment has RUNLEVEL=2, IFACE=eth0.
 */
class EventMatcherTest {
    private static final Map<String, String> ENV = Map.of("RUNLEVEL", "2", "IFACE", "eth0");

    @ParameterizedTest(name = "[{index}] {0} vs {1} @{2} = {3}")
    @CsvSource(delimiter = '|', value = {
        // 1. names compare exactly, no globbing of names
        "foo|foo|n1|true",
        "foo|bar|n1|false",
        "fo*|foo|n1|false",
        "Foo|foo|n1|false",
        // 2. positional values compare with the value part of the entry under the cursor, whatever its key
        "runlevel 2|runlevel RUNLEVEL=2 PREVLEVEL=N|n1|true",
        "runlevel [2345]|runlevel RUNLEVEL=2|n1|true",
        "runlevel [2345]|runlevel PREVLEVEL=2 RUNLEVEL=0|n1|true",
        "runlevel [2345]|runlevel RUNLEVEL=0 PREVLEVEL=2|n1|false",
        "runlevel 2 N|runlevel RUNLEVEL=2 PREVLEVEL=N|n1|true",
        "runlevel 2 S|runlevel RUNLEVEL=2 PREVLEVEL=N|n1|false",
        "runlevel N 2|runlevel RUNLEVEL=2 PREVLEVEL=N|n1|false",
        "foo f*|foo FRODO=foo BILBO=bar|n1|true",
        "runlevel * *|runlevel RUNLEVEL=2|n1|false",
        "foo bar|foo|n1|false",
        // named: looked up anywhere, = needs a glob match
        "net-device-up IFACE=eth0|net-device-up X=1 IFACE=eth0|n1|true",
        "net-device-up IFACE=eth*|net-device-up IFACE=eth1|n1|true",
        "foo BILBO=b?r|foo FRODO=foo BILBO=bar|n1|true",
        "net-device-up IFACE=lo|net-device-up IFACE=eth0|n1|false",
        // != needs no glob match, and a missing KEY fails both = and !=
        "net-device-up IFACE!=lo|net-device-up IFACE=eth0|n1|true",
        "net-device-up IFACE!=lo|net-device-up IFACE=lo|n1|false",
        "net-device-up IFACE!=lo|net-device-up|n1|false",
        "net-device-up IFACE=*|net-device-up|n1|false",
        // the cursor moves to a named entry; extra event variables are ignored
        "stopped JOB=foo RESULT=ok|stopped RESULT=ok JOB=foo EXTRA=1|n1|true",
        "stopped foo RESULT=failed|stopped JOB=foo INSTANCE= RESULT=failed|n1|true",
        "stopped foo RESULT=failed|stopped JOB=foo INSTANCE= RESULT=ok|n1|false",
        // values are expanded first; an expansion error means no match
        "runlevel [!$RUNLEVEL]|runlevel RUNLEVEL=3|n1|true",
        "runlevel [!$RUNLEVEL]|runlevel RUNLEVEL=2|n1|false",
        "iface-down IFACE=$IFACE|iface-down IFACE=eth0|n1|true",
        "iface-down IFACE=$NOPE|iface-down IFACE=eth0|n1|false",
        "iface-down IFACE!=$NOPE|iface-down IFACE=eth0|n1|false",
        "x ${NOPE:-a*}|x V=abc|n1|true",
        // an empty value matches only an empty glob
        "stopped foo INSTANCE=|stopped JOB=foo INSTANCE=|n1|true",
        "stopped foo INSTANCE=|stopped JOB=foo INSTANCE=x|n1|false",
        // NODE rule: no NODE argument -> local events only
        "foo|foo|n2|false",
        "foo|foo|-|true",
        // NODE=glob matches any node that fits; NODE!=glob any that does not
        "started postgresql NODE=db-*|started JOB=postgresql|db-1|true",
        "started postgresql NODE=db-*|started JOB=postgresql|web-1|false",
        "started postgresql NODE=*|started JOB=postgresql|n1|true",
        "stopping api NODE!=n1|stopping JOB=api|n2|true",
        "stopping api NODE!=n1|stopping JOB=api|n1|false",
        // "!=" is looked for before "=": A=B!=C is key A=B, negated
        "e A=B!=C|e A=B=x|n1|true",
        // ...and the event value is everything after the entry's first '='
        "e A=B!=B=C|e A=B=C|n1|false",
        "e A=x!y|e A=x!y|n1|true",
        // NODE args do not take a cursor position
        "runlevel NODE=* 2|runlevel RUNLEVEL=2|n7|true",
    })
    void matches(String term, String event, String node, boolean expected) {
        List<String> t = Arrays.asList(term.split(" "));
        List<String> e = Arrays.asList(event.split(" "));
        EventExpr.Match match = new EventExpr.Match(t.getFirst(), t.subList(1, t.size()));
        Event ev = new Event(e.getFirst(), e.subList(1, e.size()), node.equals("-") ? null : node);
        assertThat(EventMatcher.matches(match, ev, ENV, "n1")).isEqualTo(expected);
    }
}
