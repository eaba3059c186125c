package dev.latent.ml.llm.kernel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import org.jspecify.annotations.Nullable;

/**
 * Backs a weight matrix's memory with 2 MB pages where Linux allows it ({@code madvise(...,
 * MADV_COLLAPSE)}, Linux 6.1+; the memory stays where it is, only its pages change). A decode
 * step streams every weight once: on 4 KB pages that is a TLB miss per page and the hardware
 * prefetchers stop at each page boundary. Quiet runs of the 110m decode bench, alternated
 * (2026-11-29 18:13–18:28, docs/engine.md): batch 1 on 1 thread 37.8–42.0 tok/s with huge pages,
 * 28.9–41.6 without (the machine's bandwidth moved between runs); batch 16 the same either way.
 *
 * <p>Best effort: nothing happens off Linux, without native access for this module
 * ({@code --enable-native-access}), with {@code -Dlatent.weights.huge-pages=false}, or when the
 * kernel refuses (no free huge pages, THP disabled); the weights work the same either way.
 */
final class HugePages {

  private static final long HUGE = 2L << 20;
  private static final int MADV_COLLAPSE = 25;
  private static final @Nullable MethodHandle MADVISE = madvise();

  private HugePages() {}

  private static @Nullable MethodHandle madvise() {
    if ("false".equals(System.getProperty("latent.weights.huge-pages"))
        || !System.getProperty("os.name", "").startsWith("Linux")
        || !HugePages.class.getModule().isNativeAccessEnabled()) {
      return null;
    }
    try {
      Linker linker = Linker.nativeLinker();
      return linker.defaultLookup().find("madvise")
          .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT)))
          .orElse(null);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Collapses the whole 2 MB pages inside {@code memory}; false when none was. */
  static boolean collapse(MemorySegment memory) {
    if (MADVISE == null) {
      return false;
    }
    long start = (memory.address() + HUGE - 1) & -HUGE;
    long end = (memory.address() + memory.byteSize()) & -HUGE;
    if (end <= start) {
      return false;
    }
    try {
      return (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), end - start, MADV_COLLAPSE) == 0;
    } catch (Throwable e) {
      return false;
    }
  }
}
