package dev.latent.gateway.metering;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class SseTapTest {

  private static final String CONTENT = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n";
  private static final String USAGE = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,"
      + "\"prompt_tokens_details\":{\"cached_tokens\":4},\"completion_tokens_details\":{\"reasoning_tokens\":1}}}\n\n";
  private static final String DONE = "data: [DONE]\n\n";

  private final JsonMapper json = JsonMapper.builder().build();

  @Test
  void dropsTheUsageChunkTheClientDidNotAskForEvenWhenSplitAcrossReads() {
    SseTap tap = new SseTap(json, true);
    String all = CONTENT + CONTENT + USAGE + DONE;
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < all.length(); i += 7) { // events arrive cut at arbitrary bytes
      out.append(new String(tap.accept(all.substring(i, Math.min(all.length(), i + 7))
          .getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8));
    }
    out.append(new String(tap.finish(), StandardCharsets.UTF_8));
    assertThat(out.toString()).isEqualTo(CONTENT + CONTENT + DONE);
    assertThat(tap.delivered()).isEqualTo(2);
    assertThat(tap.usage()).isNotNull();
    assertThat(tap.usage().promptCacheHit()).isEqualTo(4);
    assertThat(tap.usage().promptCacheMiss()).isEqualTo(5);
    assertThat(tap.usage().reasoning()).isEqualTo(1);
  }

  @Test
  void keepsItWhenAskedAndCountsOnlyContentChunks() {
    SseTap tap = new SseTap(json, false);
    byte[] out = tap.accept((CONTENT + USAGE + DONE).getBytes(StandardCharsets.UTF_8));
    assertThat(new String(out, StandardCharsets.UTF_8)).isEqualTo(CONTENT + USAGE + DONE);
    assertThat(tap.delivered()).isEqualTo(1);
    assertThat(tap.usage().completion()).isEqualTo(2);
  }
}
