package dev.upfleet.agent.engine;

/**
 * Upstart's {@code job_next_state}: a total, pure table from (state, goal) to the next state. A {@code RESPAWN} goal
 * resolves to {@code START} on the way (the {@link Next#goal()} of the result).
 */
public final class Transitions {

    /** The next state and the goal the instance has once it gets there. */
    public record Next(JobState state, Goal goal) {}

    private Transitions() {}

    /**
     * @param mainAlive whether the main process is running (decides between pre-stop and stopping when a running job
     *                  is asked to stop)
     */
    public static Next next(JobState state, Goal goal, boolean mainAlive) {
        return switch (state) {
            case WAITING -> new Next(JobState.STARTING, goal);
            case STARTING -> forward(goal, JobState.SECURITY);
            case SECURITY -> forward(goal, JobState.PRE_START);
            case PRE_START -> forward(goal, JobState.SPAWNED);
            case SPAWNED -> forward(goal, JobState.POST_START);
            case POST_START -> switch (goal) {
                case START -> new Next(JobState.RUNNING, Goal.START);
                case STOP -> new Next(JobState.STOPPING, Goal.STOP);
                case RESPAWN -> new Next(JobState.STOPPING, Goal.START);
            };
            case RUNNING -> switch (goal) {
                case START, RESPAWN -> new Next(JobState.STOPPING, Goal.START);
                case STOP -> new Next(mainAlive ? JobState.PRE_STOP : JobState.STOPPING, Goal.STOP);
            };
            case PRE_STOP -> switch (goal) {
                case START -> new Next(JobState.RUNNING, Goal.START);
                case STOP -> new Next(JobState.STOPPING, Goal.STOP);
                case RESPAWN -> new Next(JobState.STOPPING, Goal.START);
            };
            case STOPPING -> new Next(JobState.KILLED, goal);
            case KILLED -> new Next(JobState.POST_STOP, goal);
            case POST_STOP -> switch (goal) {
                case START, RESPAWN -> new Next(JobState.STARTING, Goal.START);
                case STOP -> new Next(JobState.WAITING, Goal.STOP);
            };
        };
    }

    private static Next forward(Goal goal, JobState onStart) {
        return goal == Goal.STOP ? new Next(JobState.STOPPING, Goal.STOP) : new Next(onStart, goal);
    }
}
