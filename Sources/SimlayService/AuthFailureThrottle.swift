import Foundation
import Logging
import Synchronization

/// Slows down token guessing and keeps the log readable under it: every refused call waits for its own
/// slot (at most `perSecond` refusals per second over all clients, so a thousand concurrent guessers get
/// no more tries than one), and refusals are logged once per `logInterval` with a count instead of once
/// per call. Calls with the right token never wait.
///
/// The wait is an async sleep on the call's task, not on an I/O thread, and is capped at `maxWait`: a
/// flood then costs each guess `maxWait` and memory bounded by the transport's stream limit.
public final class AuthFailureThrottle: Sendable {
  struct State {
    var nextSlot: ContinuousClock.Instant
    var windowStart: ContinuousClock.Instant
    var refusedInWindow = 0
    var loggedFirst = false
  }

  let spacing: Duration
  let maxWait: Duration
  let logInterval: Duration
  let logger: Logger
  private let state: Mutex<State>

  /// A throttle allowing `perSecond` refusals per second, logging at most once per `logInterval`.
  public init(
    perSecond: Int = 10, maxWait: Duration = .seconds(5), logInterval: Duration = .seconds(10), logger: Logger
  ) {
    self.spacing = .seconds(1) / max(perSecond, 1)
    self.maxWait = maxWait
    self.logInterval = logInterval
    self.logger = logger
    let now = ContinuousClock.now
    self.state = Mutex(State(nextSlot: now, windowStart: now))
  }

  /// Records one refused call and returns how long it must wait before its answer.
  func refusal(method: String, peer: String, reason: String) -> Duration {
    let now = ContinuousClock.now
    let (wait, report): (Duration, (count: Int, first: Bool)?) = state.withLock { s in
      let slot = max(s.nextSlot, now)
      s.nextSlot = slot + spacing
      s.refusedInWindow += 1
      var report: (Int, Bool)?
      if !s.loggedFirst {
        s.loggedFirst = true
        s.windowStart = now
        s.refusedInWindow = 0
        report = (1, true)
      } else if now - s.windowStart >= logInterval {
        report = (s.refusedInWindow, false)
        s.windowStart = now
        s.refusedInWindow = 0
      }
      return (min(slot - now, maxWait), report)
    }
    if let report {
      logger.warning(
        report.first ? "refused call without a valid bearer token" : "refused calls without a valid bearer token",
        metadata: [
          "method": "\(method)", "peer": "\(peer)", "reason": "\(reason)",
          "refused_since_last_report": "\(report.count)",
        ])
    }
    return wait
  }
}
