package dev.upfleet.agent.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PtySpareTest {
    private static boolean open(int fd) {
        return Files.exists(Path.of("/proc/self/fd/" + fd));
    }

    @Test
    void theSpareMadeAfterASpawnIsTheNextOneTakenAndCloseReleasesIt() throws Exception {
        PtySpare ptys = new PtySpare();
        PtySpare.Pair first = ptys.take(); // none ready: made on the spot
        ptys.refill();
        ptys.refill(); // one spare at most
        PtySpare.Pair second = ptys.take();
        assertThat(second.master()).isNotIn(first.master(), first.slave());
        assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + second.slave())).toString()).startsWith("/dev/pts/");
        ptys.refill();
        ptys.close();
        // the spare made by the last refill is closed; the pairs taken are the caller's
        assertThat(open(second.master()) && open(second.slave()) && open(first.master())).isTrue();
        PtySpare.Pair third = new PtySpare().take();
        for (int fd : new int[] {first.master(), first.slave(), second.master(), second.slave(), third.master(),
                third.slave()}) {
            Libc.closeQuietly(fd);
        }
    }

    @Test
    void noSpareIsMadeOnceClosed() throws Exception {
        PtySpare ptys = new PtySpare();
        ptys.close();
        long before = ManySpawnsTest.fdCount();
        ptys.refill();
        assertThat(ManySpawnsTest.fdCount()).isEqualTo(before);
    }
}
