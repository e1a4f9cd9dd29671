package dev.upfleet.agent.cluster;

import dev.upfleet.proto.cluster.v1.JobDefinition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicated job definitions as files in {@code STATE_DIR/cluster-jobs}, the agent's last configuration directory:
 * the ordinary loader and watcher load them beside the local jobs (a local job of the same name wins), and an updated
 * or withdrawn definition follows Upstart's replacement rule. The files also keep the jobs across agent restarts.
 */
public final class ReplicatedJobs {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedJobs.class);

    private final Path dir;

    public ReplicatedJobs(Path stateDir) throws IOException {
        this.dir = stateDir.resolve("cluster-jobs");
        Files.createDirectories(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Makes the directory hold exactly these definitions. */
    public synchronized void replaceAll(List<JobDefinition> jobs) {
        Set<Path> wanted = new HashSet<>();
        for (JobDefinition job : jobs) {
            Path file = dir.resolve(job.getName() + ".conf").normalize();
            if (!file.startsWith(dir)) {
                LOG.warn("ignoring replicated job with an unsafe name: {}", job.getName());
                continue;
            }
            wanted.add(file);
            try {
                byte[] text = job.getText().getBytes(StandardCharsets.UTF_8);
                if (!Files.exists(file) || !java.util.Arrays.equals(Files.readAllBytes(file), text)) {
                    Files.createDirectories(file.getParent());
                    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
                    Files.write(tmp, text);
                    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException e) {
                LOG.warn("cannot write replicated job {}: {}", job.getName(), e.getMessage());
            }
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".conf")).toList()) {
                if (!wanted.contains(f)) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            LOG.warn("cannot clean {}: {}", dir, e.getMessage());
        }
    }
}
