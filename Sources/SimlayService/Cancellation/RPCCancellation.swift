import GRPCCore

/// Runs a handler's body in a task that is cancelled when its RPC ends early: the deadline passed or the
/// client cancelled or went away (grpc-swift signals these through the RPC's cancellation handle, not by
/// cancelling the handler's task), or the shutdown's grace period is over (task cancellation). Everything
/// below the handler then sees ordinary task cancellation: compute jobs leave the queue or stop at their
/// next check (`ComputeExecutor`), forward passes nobody waits for are cancelled (`ActivationCache`).
///
/// The handle also fires when the server begins its graceful shutdown; once `lifecycle` says shutdown has
/// begun that signal is ignored, so calls in flight keep their grace period (`--shutdown-grace-seconds`),
/// after which the shutdown cancels their tasks.
///
/// Why a task: only a task can be cancelled from outside, and the RPC's handle calls back on another
/// thread. The cost is one task per call (microseconds), against a Similarity call of about a millisecond.
func cancelledWithRPC<T: Sendable>(
  lifecycle: ServingLifecycle, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
  let task = Task { try await body() }
  return try await withTaskCancellationHandler {
    try await withRPCCancellationHandler {
      try await task.value
    } onCancelRPC: {
      if !lifecycle.isShuttingDown { task.cancel() }
    }
  } onCancel: {
    task.cancel()
  }
}
