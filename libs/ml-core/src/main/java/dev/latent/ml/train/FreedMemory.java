package dev.latent.ml.train;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Gives the pages of freed native memory back to the kernel between the phases of a training step
 * ({@code malloc_trim(0)}, glibc). libtorch allocates tensors on the CPU with malloc; glibc's
 * dynamic mmap threshold soon puts every tensor of a step (up to 32 MiB) in its heap arenas, where
 * a freed tensor's pages stay resident and fragmented: by the LM head of the 15m bench's LoRA step
 * the arenas held ~110 MB of free, touched pages beside ~120 MB in use, and more each step. Freed
 * space is reused as before; only its pages are dropped, so the next phase touches (and the
 * resident peak counts) the pages it uses instead of every page any earlier phase used. The cost
 * is the call and a page fault per reused page: after every layer and LM-head chunk of the 15m
 * bench's LoRA step that was +8-15% CPU, because the head reuses its freed 8 MiB blocks chunk
 * after chunk and faulted them in again each time; {@link #releaseIfGrown} therefore releases only
 * once the resident memory has grown {@link #GROWTH} bytes since the last release. The maths is
 * unchanged.
 *
 * <p>Best effort: nothing happens off glibc (no {@code malloc_trim}), without native access for
 * this module ({@code --enable-native-access}), or with {@code -Dlatent.training.trim=false}.
 */
final class FreedMemory {

  /** Resident growth since the last release that makes {@link #releaseIfGrown} release. */
  static final long GROWTH = 16L << 20;

  private static final @Nullable MethodHandle MALLOC_TRIM = mallocTrim();
  private static final Path STATUS = Path.of("/proc/self/status");

  /** Resident bytes right after the last release (steps of several trainers race benignly). */
  private static volatile long residentAfterRelease;

  private FreedMemory() {}

  private static @Nullable MethodHandle mallocTrim() {
    if ("false".equals(System.getProperty("latent.training.trim"))
        || !System.getProperty("os.name", "").startsWith("Linux")
        || !FreedMemory.class.getModule().isNativeAccessEnabled()) {
      return null;
    }
    try {
      Linker linker = Linker.nativeLinker();
      return linker.defaultLookup().find("malloc_trim")
          .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(JAVA_INT, JAVA_LONG)))
          .orElse(null);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Whether {@link #release} can do anything in this process. */
  static boolean available() {
    return MALLOC_TRIM != null;
  }

  /** Returns the whole free pages of the native heap to the kernel; false when none could be. */
  static boolean release() {
    if (MALLOC_TRIM == null) {
      return false;
    }
    try {
      boolean released = (int) MALLOC_TRIM.invokeExact(0L) == 1;
      residentAfterRelease = resident();
      return released;
    } catch (Throwable e) {
      return false;
    }
  }

  /**
   * {@link #release} when the process's resident memory grew {@link #GROWTH} bytes since the last
   * one; whether it did.
   */
  static boolean releaseIfGrown() {
    if (MALLOC_TRIM == null || resident() - residentAfterRelease <= GROWTH) {
      return false;
    }
    release();
    return true;
  }

  /** The process's resident bytes ({@code VmRSS}); 0 where procfs does not say. */
  static long resident() {
    try {
      String status = Files.readString(STATUS, StandardCharsets.ISO_8859_1);
      int at = status.indexOf("VmRSS:");
      int end = at < 0 ? -1 : status.indexOf('\n', at);
      return end < 0 ? 0 : Long.parseLong(status.substring(at + 6, end).replace("kB", "").strip()) * 1024;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
