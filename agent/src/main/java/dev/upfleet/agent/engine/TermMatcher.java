package dev.upfleet.agent.engine;

import dev.upfleet.core.event.Event;
import dev.upfleet.core.event.EventExpr;
import java.util.Map;

/** Decides whether one event term matches one event; variables in the term expand against {@code env}. */
@FunctionalInterface
public interface TermMatcher {
    boolean matches(EventExpr.Match term, Event event, Map<String, String> env);
}
