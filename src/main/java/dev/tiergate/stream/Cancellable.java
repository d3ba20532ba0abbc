package dev.tiergate.stream;

/** Something upstream that must be torn down at once when the client leaves. */
public interface Cancellable {
  void cancel();
}
