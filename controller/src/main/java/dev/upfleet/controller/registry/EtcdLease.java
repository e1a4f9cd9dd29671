package dev.upfleet.controller.registry;

import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An etcd lease kept alive by jetcd's shared keep-alive stream. jetcd reports a transient stream error through
 * {@code onError} and then reconnects by itself, so only two signals mean the lease is gone: {@code onError} with
 * NOT_FOUND (etcd answered TTL 0: expired or revoked) and {@code onCompleted} (jetcd's deadline check saw no answer
 * for a whole TTL, so the lease has expired server-side or will have by the time we could tell).
 */
final class EtcdLease implements Registry.Lease {
    private static final Logger log = LoggerFactory.getLogger(EtcdLease.class);

    private final long id;
    private final io.etcd.jetcd.Lease leases;
    private final Function<CompletableFuture<?>, Object> await;
    private final Runnable onClose;
    private final CloseableClient keepAlive;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean alive = true;

    /** {@code await} bounds a request by the registry's timeout and maps failures to {@link RegistryException}. */
    EtcdLease(long id, io.etcd.jetcd.Lease leases, Function<CompletableFuture<?>, Object> await, Runnable onClose) {
        this(id, leases, await, onClose, true);
    }

    /** {@code keptAlive} false: an expiring lease (retention), never refreshed. */
    EtcdLease(long id, io.etcd.jetcd.Lease leases, Function<CompletableFuture<?>, Object> await, Runnable onClose,
              boolean keptAlive) {
        this.id = id;
        this.leases = leases;
        this.await = await;
        this.onClose = onClose;
        this.keepAlive = keptAlive ? leases.keepAlive(id, new Observer()) : null;
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public boolean alive() {
        return alive && !closed.get();
    }

    /** Test hook: stops keep-alives without revoking, so the lease expires after its TTL like a crashed holder's. */
    void stopKeepAlive() {
        alive = false;
        if (keepAlive != null) {
            keepAlive.close();
        }
    }

    /** Stops keep-alives and revokes; a lease that already expired counts as revoked. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        alive = false;
        if (keepAlive != null) {
            keepAlive.close();
        }
        onClose.run();
        try {
            await.apply(leases.revoke(id));
        } catch (RegistryException e) {
            if (!notFound(e.getCause())) {
                throw e;
            }
        }
    }

    /** Stops keep-alives only (the holder is going away; the lease then expires after its TTL). */
    @Override
    public void abandon() {
        if (closed.compareAndSet(false, true)) {
            alive = false;
            if (keepAlive != null) {
            keepAlive.close();
        }
        }
    }

    /** jetcd reports it as an EtcdException or a bare gRPC status, depending on the path. */
    private static boolean notFound(Throwable t) {
        return (t instanceof EtcdException e && e.getErrorCode() == ErrorCode.NOT_FOUND)
                || Status.fromThrowable(t).getCode() == Status.Code.NOT_FOUND;
    }

    @Override
    public String toString() {
        return "lease " + Long.toHexString(id);
    }

    private final class Observer implements StreamObserver<LeaseKeepAliveResponse> {
        @Override
        public void onNext(LeaseKeepAliveResponse response) {}

        @Override
        public void onError(Throwable t) {
            if (notFound(t)) {
                alive = false;
                log.info("{} is gone: {}", EtcdLease.this, t.getMessage());
            } else {
                log.debug("{}: keep-alive stream error, jetcd reconnects: {}", EtcdLease.this, t.toString());
            }
        }

        @Override
        public void onCompleted() {
            if (alive && !closed.get()) {
                log.info("{}: no keep-alive answer within its TTL, presumed expired", EtcdLease.this);
            }
            alive = false;
        }
    }
}
