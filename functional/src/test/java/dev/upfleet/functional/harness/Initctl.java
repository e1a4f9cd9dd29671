package dev.upfleet.functional.harness;

/** What one {@code bin/initctl} process did: exit code, standard output and standard error. */
public record Initctl(int rc, String out, String err) {
    @Override
    public String toString() {
        return "initctl rc=" + rc + " out=[" + out.strip() + "] err=[" + err.strip() + "]";
    }
}
