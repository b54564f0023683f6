import NIOCore
import NIOPosix
import SimlayEventLoop
import Testing

@Suite("EventLoopExecutor")
struct EventLoopExecutorTests {
  @Test("a task preferring the executor runs on its loop, before and after suspending, and so do its children")
  func runsOnTheLoop() async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let executor = EventLoopExecutor(group.next())
    let loop = executor.loop
    #expect(!loop.inEventLoop)
    let seen = try await withTaskExecutorPreference(executor) {
      var seen = [loop.inEventLoop]
      try await Task.sleep(for: .milliseconds(5))
      seen.append(loop.inEventLoop)
      seen += await withTaskGroup(of: Bool.self) { children in
        for _ in 0..<4 { children.addTask { loop.inEventLoop } }
        return await children.reduce(into: []) { $0.append($1) }
      }
      return seen
    }
    #expect(seen == Array(repeating: true, count: 6))
    #expect(!loop.inEventLoop)
    try await group.shutdownGracefully()
  }

  @Test("jobs of many tasks all run, each on the loop", arguments: [1, 13, 124])
  func manyTasks(count: Int) async throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let executor = EventLoopExecutor(group.next())
    let sum = await withTaskGroup(of: Int.self) { tasks in
      for i in 0..<count {
        tasks.addTask(executorPreference: executor) {
          await Task.yield()
          return executor.loop.inEventLoop ? i : -1_000_000
        }
      }
      return await tasks.reduce(0, +)
    }
    #expect(sum == count * (count - 1) / 2)
    try await group.shutdownGracefully()
  }
}
