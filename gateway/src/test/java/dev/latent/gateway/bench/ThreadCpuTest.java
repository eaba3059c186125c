package dev.latent.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {

  @Test
  void threadsAreGroupedByTheirKernelNames() {
    assertThat(ThreadCpu.group("reactor-http-ep")).isEqualTo("event_loop");
    assertThat(ThreadCpu.group("ledger-h2-1")).isEqualTo("ledger");
    assertThat(ThreadCpu.group("MVStore backgro")).isEqualTo("ledger");
    assertThat(ThreadCpu.group("reactor-tcp-epo")).isEqualTo("ledger");
    assertThat(ThreadCpu.group("C2 CompilerThre")).isEqualTo("jit");
    assertThat(ThreadCpu.group("GC Thread#0")).isEqualTo("gc");
    assertThat(ThreadCpu.group("ZWorkerYoung#0")).isEqualTo("gc");
    assertThat(ThreadCpu.group("ZDriverMinor")).isEqualTo("gc");
    assertThat(ThreadCpu.group("Shenandoah GC T")).isEqualTo("gc");
    assertThat(ThreadCpu.group("boundedElastic-")).isEqualTo("other");
  }

  @Test
  void cpuOfAnEventLoopNamedThreadLandsInItsGroup() throws InterruptedException {
    ThreadCpu before = ThreadCpu.read(ProcessHandle.current());
    CountDownLatch burned = new CountDownLatch(1);
    AtomicBoolean stop = new AtomicBoolean();
    Thread busy = new Thread(() -> {
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      while (!stop.get()) {
        if (threads.getCurrentThreadCpuTime() >= 50_000_000L) { // 50 ms of its own CPU = 5 ticks
          burned.countDown();
        }
      }
    }, "reactor-http-epoll-test");
    busy.start();
    burned.await();
    // Read while it still runs: the kernel forgets a thread's time once it has ended.
    ThreadCpu during = ThreadCpu.read(ProcessHandle.current());
    stop.set(true);
    busy.join();

    assertThat(during.ticksByGroup().get("event_loop") - before.ticksByGroup().get("event_loop")).isGreaterThanOrEqualTo(4);
    assertThat(during.msPerRequestSince(before, 1).get("event_loop")).isGreaterThanOrEqualTo(40.0);
    assertThat(during.totalTicks()).isGreaterThan(before.totalTicks());
  }
}
