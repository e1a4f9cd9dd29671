package dev.upfleet.agent.control;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.nio.file.attribute.UserPrincipal;

/**
 * Who may change things: root, or the user who owns the socket (the agent's user) — Upstart's rule that only root
 * modifies system jobs, with the session-init twist that a user's own agent obeys that user. Reading is open to anyone
 * who can connect. The caller comes from {@link PeerCredentials}; when it is unknown (option unsupported) the check
 * passes and the socket's mode is the guard.
 */
final class CallerPolicy implements ServerInterceptor {
    private static final Context.Key<UserPrincipal> CALLER = Context.key("upfleet.caller");

    private final UserPrincipal owner;
    private final boolean rootPrivileged;

    /** {@code owner} null disables the check. */
    CallerPolicy(UserPrincipal owner) {
        this(owner, true);
    }

    /** Tests running as root use {@code rootPrivileged} false to see a refusal over a real socket. */
    CallerPolicy(UserPrincipal owner, boolean rootPrivileged) {
        this.owner = owner;
        this.rootPrivileged = rootPrivileged;
    }

    static final class PermissionDenied extends RuntimeException {
        PermissionDenied(String message) {
            super(message, null, false, false);
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        UserPrincipal caller = call.getAttributes().get(PeerCredentials.PEER_USER);
        if (caller == null) {
            return next.startCall(call, headers);
        }
        return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    }

    /** Throws {@link PermissionDenied} with Upstart's {@code message} unless the current caller may modify. */
    void checkModify(String message) {
        UserPrincipal caller = CALLER.get();
        if (!allowed(caller)) {
            throw new PermissionDenied(message);
        }
    }

    boolean allowed(UserPrincipal caller) {
        return owner == null || caller == null || (rootPrivileged && "root".equals(caller.getName()))
                || owner.equals(caller);
    }
}
