package dev.tiergate.auth;

/** What the limits tell the outside (metrics): the shared store's state and requests decided without it. */
public interface LimitEvents {
  LimitEvents NONE = new LimitEvents() {
    @Override
    public void storeUp(boolean up) {}

    @Override
    public void storeUnavailable(boolean failOpen) {}
  };

  /** The shared store became reachable ({@code true}) or unreachable. */
  void storeUp(boolean up);

  /** A request was decided while the shared store was unreachable: by this replica's counts, or refused. */
  void storeUnavailable(boolean failOpen);
}
