package dev.upfleet.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironTest {
    @Test
    void pairsNeedAVariableNameBeforeTheEqualsSign() {
        assertThat(Environ.allValid(List.of("A=1", "_b2=", "PATH=/x=y"))).isTrue();
        assertThat(Environ.allValid(List.of("A"))).isFalse();
        assertThat(Environ.allValid(List.of("=x"))).isFalse();
        assertThat(Environ.allValid(List.of("1A=x"))).isFalse();
        assertThat(Environ.allValid(List.of("A-B=x"))).isFalse();
        assertThat(Environ.allValid(List.of("A B=x"))).isFalse();
    }

    @Test
    void setReplacesTheEntryOfTheSameKeyInPlace() {
        List<String> env = new ArrayList<>(List.of("A=1", "AB=2", "B", "C=x=y"));
        Environ.set(env, "A=9");
        Environ.set(env, "B=3");
        Environ.set(env, "C=z");
        Environ.set(env, "ABC=4");
        assertThat(env).containsExactly("A=9", "AB=2", "B=3", "C=z", "ABC=4");
    }

    /** Upstart's environ_add: KEY alone copies init's value, and an unset one adds nothing but removes the entry. */
    @Test
    void anEnvStanzaWithoutValueTakesInitsValueOrRemovesTheEntry() {
        Map<String, String> init = Map.of("HOME", "/root", "EMPTY", "");
        List<String> env = new ArrayList<>(List.of("A=1", "GONE=job", "B=2"));
        Environ.addStanza(env, "HOME", init::get);
        Environ.addStanza(env, "EMPTY", init::get);
        Environ.addStanza(env, "GONE", init::get);
        Environ.addStanza(env, "NEVER", init::get);
        Environ.addStanza(env, "A=one", init::get);
        assertThat(env).containsExactly("A=one", "B=2", "HOME=/root", "EMPTY=");
    }

    @Test
    void getMatchesTheWholeKeyOnly() {
        List<String> env = List.of("FOOBAR=long", "FOO=short", "BAR");
        assertThat(Environ.get(env, "FOO")).isEqualTo("short");
        assertThat(Environ.get(env, "FOOB")).isNull();
        assertThat(Environ.get(env, "FO")).isNull();
        assertThat(Environ.get(env, "BAR")).isNull();
    }

    @Test
    void removeTakesOnlyTheExactKey() {
        List<String> env = new ArrayList<>(List.of("A=1", "AB=2", "A", "BA=3"));
        assertThat(Environ.remove(env, "A")).isTrue();
        assertThat(env).containsExactly("AB=2", "BA=3");
        assertThat(Environ.remove(env, "AB=2")).isFalse();
    }

    @Test
    void hasKeyAgreesWithCuttingTheKeyOutForEveryShortString() {
        List<String> all = strings("AB=", 4);
        for (String entry : all) {
            for (String key : all) {
                assertThat(Environ.hasKey(entry, key)).as("%s has key %s", entry, key)
                        .isEqualTo(Environ.key(entry).equals(key));
            }
        }
    }

    /** Every string of at most {@code length} characters of {@code alphabet}. */
    private static List<String> strings(String alphabet, int length) {
        List<String> all = new ArrayList<>(List.of(""));
        for (int from = 0, n = 0; n < length; n++) {
            int to = all.size();
            for (int i = from; i < to; i++) {
                for (char c : alphabet.toCharArray()) {
                    all.add(all.get(i) + c);
                }
            }
            from = to;
        }
        return all;
    }
}
