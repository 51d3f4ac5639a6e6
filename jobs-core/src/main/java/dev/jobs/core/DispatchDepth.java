package dev.jobs.core;

/**
 * What a dispatch queue holds for one queue.
 *
 * @param ready job ids that may be handed out now
 * @param delayed job ids waiting for their runAt
 * @param inFlight job ids handed to workers and not yet ended
 * @param paused whether the queue hands nothing out
 */
public record DispatchDepth(long ready, long delayed, long inFlight, boolean paused) {}
