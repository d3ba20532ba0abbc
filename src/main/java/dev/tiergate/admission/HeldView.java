package dev.tiergate.admission;

import dev.tiergate.routing.BackendLoad;
import dev.tiergate.routing.BackendRates;
import dev.tiergate.routing.FleetView;
import java.util.OptionalInt;
import java.util.function.ToIntFunction;

/** The fleet as routing sees it once admission control holds prompts: the fleet, plus each backend's queue. */
final class HeldView implements FleetView {
  private final FleetView fleet;
  private final ToIntFunction<String> held;

  HeldView(FleetView fleet, ToIntFunction<String> held) {
    this.fleet = fleet;
    this.held = held;
  }

  @Override
  public int held(String backend) {
    return held.applyAsInt(backend);
  }

  @Override
  public boolean routable(String backend) {
    return fleet.routable(backend);
  }

  @Override
  public int inflight(String backend) {
    return fleet.inflight(backend);
  }

  @Override
  public boolean busy(String backend) {
    return fleet.busy(backend);
  }

  @Override
  public boolean serves(String backend, String endpoint) {
    return fleet.serves(backend, endpoint);
  }

  @Override
  public OptionalInt contextWindow(String backend) {
    return fleet.contextWindow(backend);
  }

  @Override
  public BackendLoad load(String backend) {
    return fleet.load(backend);
  }

  @Override
  public BackendRates rates(String backend) {
    return fleet.rates(backend);
  }

  @Override
  public boolean live(String tier) {
    return fleet.live(tier);
  }
}
