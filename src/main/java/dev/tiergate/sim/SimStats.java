package dev.tiergate.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Counters the sim updates on its engine context and HTTP loops, and tests read from their own threads. */
public final class SimStats {
  private static final int MAX_BODIES = 1000;

  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicInteger aborted = new AtomicInteger();
  private final AtomicInteger activeStreams = new AtomicInteger();
  private final AtomicInteger pausedStreams = new AtomicInteger();
  private final AtomicLong lastAbortNanos = new AtomicLong();
  private final ArrayDeque<String> bodies = new ArrayDeque<>();
  private java.util.Map<String, String> lastHeaders = java.util.Map.of();

  public int requests() {
    return requests.get();
  }

  public int completed() {
    return completed.get();
  }

  public int aborted() {
    return aborted.get();
  }

  public int activeStreams() {
    return activeStreams.get();
  }

  /** Streams currently held back because their reader is slow (the response's write queue is full). */
  public int pausedStreams() {
    return pausedStreams.get();
  }

  public long lastAbortNanos() {
    return lastAbortNanos.get();
  }

  public synchronized String lastRequestBody() {
    return bodies.peekLast();
  }

  public synchronized List<String> requestBodies() {
    return new ArrayList<>(bodies);
  }

  /** Active streams are left alone: they belong to requests still in flight. */
  public void reset() {
    requests.set(0);
    completed.set(0);
    aborted.set(0);
    lastAbortNanos.set(0);
    synchronized (this) {
      bodies.clear();
    }
  }

  /** The header names (lower case) of the last request the sim received, with their values. */
  public synchronized java.util.Map<String, String> lastRequestHeaders() {
    return lastHeaders;
  }

  synchronized void onHeaders(java.util.Map<String, String> headers) {
    lastHeaders = headers;
  }

  void onRequest(String body) {
    synchronized (this) {
      if (bodies.size() == MAX_BODIES) {
        bodies.pollFirst();
      }
      bodies.addLast(body);
    }
    requests.incrementAndGet();
  }

  void onCompleted() {
    completed.incrementAndGet();
  }

  void onAbort() {
    lastAbortNanos.set(System.nanoTime());
    aborted.incrementAndGet();
  }

  void streamStarted() {
    activeStreams.incrementAndGet();
  }

  void streamEnded() {
    activeStreams.decrementAndGet();
  }

  void streamPaused() {
    pausedStreams.incrementAndGet();
  }

  void streamResumed() {
    pausedStreams.decrementAndGet();
  }

  @Override
  public String toString() {
    return "SimStats{requests=" + requests() + ", completed=" + completed() + ", aborted=" + aborted()
        + ", active=" + activeStreams() + ", paused=" + pausedStreams() + "}";
  }
}
