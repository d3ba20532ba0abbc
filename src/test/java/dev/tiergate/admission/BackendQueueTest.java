package dev.tiergate.admission;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tiergate.config.TierPolicy;
import dev.tiergate.errors.GatewayError;
import dev.tiergate.testing.TestGateway;
import dev.tiergate.testing.Wire;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** One backend's admission queue: order, bounds, deadlines, cancellation, release. */
class BackendQueueTest {
  final Vertx vertx = Vertx.vertx();
  final AtomicBoolean free = new AtomicBoolean(false);

  @AfterEach
  void close() {
    TestGateway.await(vertx.close());
  }

  BackendQueue queue(int maxQueue, long maxTokens, long maxWaitMs) {
    return new BackendQueue(vertx, "b", new TierPolicy.Admission(1000, true, maxTokens, maxQueue, maxWaitMs), free::get);
  }

  @Test
  void interactiveGoesBeforeBatchAndEachKeepsItsArrivalOrder() {
    BackendQueue q = queue(10, 1_000_000, 60_000);
    List<String> order = new CopyOnWriteArrayList<>();
    String[] names = {"batch-1", "inter-1", "batch-2", "inter-2"};
    for (String n : names) {
      Waiter w = q.enter(5000, n.startsWith("batch"), 1);
      w.future().onSuccess(x -> order.add(n));
    }
    assertEquals(4, q.length());
    assertEquals(20_000, q.queuedTokens());
    free.set(true);
    Wire.await("all four let through", 5_000, () -> order.size() == 4);
    assertEquals(List.of("inter-1", "inter-2", "batch-1", "batch-2"), order);
    assertEquals(0, q.queuedTokens());
  }

  @Test
  void aPromptHeldHereGoesToAnotherCandidateAsSoonAsThatOneCanTakeIt() {
    AtomicBoolean otherFree = new AtomicBoolean(false);
    BackendQueue q = new BackendQueue(vertx, "b", new TierPolicy.Admission(1000, true, 1_000_000L, 10, 60_000L),
        w -> free.get(), w -> otherFree.get() ? 1 : -1);
    List<String> order = new CopyOnWriteArrayList<>();
    Waiter batch = q.enter(5000, true, 1);
    batch.future().onSuccess(x -> order.add("batch"));
    Waiter inter = q.enter(5000, false, 1);
    inter.future().onSuccess(x -> order.add("inter"));
    otherFree.set(true); // this backend's streams never pause; another candidate's do
    Wire.await("both moved on", 5_000, () -> order.size() == 2);
    assertEquals(List.of("inter", "batch"), order, "in queue order: interactive first");
    assertEquals(1, inter.candidate);
    assertEquals(1, batch.candidate);
    assertEquals(0, q.length());
    assertEquals(0, q.queuedTokens());
  }

  @Test
  void eachWaiterIsAskedForInQueueOrderAndTheFirstRefusedStopsTheRest() {
    // A backend that takes one long prompt at a time (it claims the backend when let through).
    AtomicInteger slots = new AtomicInteger(0);
    List<Long> asked = new CopyOnWriteArrayList<>();
    BackendQueue q = new BackendQueue(vertx, "b", new TierPolicy.Admission(1000, true, 1_000_000L, 10, 60_000L), w -> {
      asked.add(w.promptTokens);
      return slots.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }, w -> -1);
    Waiter first = q.enter(1001, false, 1);
    Waiter second = q.enter(1002, false, 1);
    Waiter batch = q.enter(1003, true, 1);
    slots.set(1);
    TestGateway.await(first.future());
    assertEquals(1001L, asked.get(0), "the head is asked first");
    Wire.await("the next check asks the second", 5_000, () -> asked.stream().filter(t -> t == 1002).count() >= 2);
    assertFalse(second.future().isComplete(), "one let through per free slot");
    assertFalse(asked.contains(1003L), "a waiter behind one refused is not asked");
    assertEquals(2, q.length());
    slots.set(2);
    TestGateway.await(second.future());
    TestGateway.await(batch.future());
    assertEquals(0, q.length());
  }

  @Test
  void aFullQueueRefusesByCountAndByQueuedTokens() {
    BackendQueue byCount = queue(2, 1_000_000, 60_000);
    assertTrue(byCount.enter(10, false, 1) != null && byCount.enter(10, false, 1) != null);
    assertNull(byCount.enter(10, false, 1), "a third does not fit maxQueue 2");
    GatewayError e = byCount.full(7);
    assertEquals(429, e.status());
    assertEquals(7, e.retryAfterSeconds());

    BackendQueue byTokens = queue(10, 25_000, 60_000);
    assertTrue(byTokens.enter(20_000, false, 1) != null);
    assertNull(byTokens.enter(10_000, false, 1), "45000 tokens would pass maxQueuedPrefillTokens 25000");
  }

  @Test
  void aWaitPastMaxWaitMsIs503WithRetryAfter() {
    BackendQueue q = queue(10, 1_000_000, 100);
    Waiter w = q.enter(10, false, 9);
    Throwable t = TestGateway.awaitFailure(w.future());
    GatewayError e = (GatewayError) t;
    assertEquals(503, e.status());
    assertEquals(9, e.retryAfterSeconds());
    assertTrue(e.getMessage().contains("maxWaitMs"), e.getMessage());
    assertEquals(0, q.length());
  }

  @Test
  void aClientThatLeavesIsOutOfTheQueueAtOnce() {
    BackendQueue q = queue(10, 1_000_000, 60_000);
    Waiter gone = q.enter(100, false, 1);
    Waiter stays = q.enter(100, false, 1);
    q.cancel(gone);
    assertEquals(1, q.length());
    assertTrue(gone.future().failed());
    free.set(true);
    TestGateway.await(stays.future());
    assertFalse(gone.future().succeeded());
  }
}
