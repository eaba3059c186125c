package dev.latent.vision.image;

import dev.latent.support.problem.ProblemException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;

/**
 * Fetches an {@code image_url} without becoming an SSRF proxy: http/https only, every address the
 * host resolves to must be public (no loopback, private, link-local, CGNAT, multicast or unique-
 * local), no redirects (a redirect could point inside), a time limit and a byte limit. Blocking;
 * runs on {@link VisionExecutor}. Known gap: DNS rebinding between our check and the client's own
 * lookup; deployments that care put an egress proxy in front.
 */
@Component
public class UrlFetcher {

  private final ImageProperties properties;
  private final HttpClient client;

  public UrlFetcher(ImageProperties properties) {
    this.properties = properties;
    this.client = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(properties.urlTimeout())
        .build();
  }

  public byte[] fetch(String param, String url) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw ProblemException.invalidParameter(param, "'" + param + "' is not a valid URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw ProblemException.invalidParameter(param, "'" + param + "' must be an http or https URL");
    }
    if (!properties.allowPrivateUrls()) {
      checkPublic(param, uri.getHost());
    }
    try {
      HttpResponse<InputStream> response = client.send(
          HttpRequest.newBuilder(uri).timeout(properties.urlTimeout()).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        if (response.statusCode() != 200) {
          throw ProblemException.invalidParameter(param,
              "fetching '" + param + "' answered HTTP " + response.statusCode());
        }
        long max = properties.maxBytes().toBytes();
        var out = new ByteArrayOutputStream();
        byte[] buf = new byte[16384];
        for (int n; (n = in.read(buf)) > 0; ) {
          out.write(buf, 0, n);
          if (out.size() > max) {
            throw new ProblemException(HttpStatus.CONTENT_TOO_LARGE, "image-too-large",
                "'" + param + "' is larger than " + max + " bytes", "image_too_large", param);
          }
        }
        return out.toByteArray();
      }
    } catch (IOException e) {
      throw ProblemException.invalidParameter(param, "could not fetch '" + param + "': " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ProblemException.invalidParameter(param, "fetching '" + param + "' was interrupted");
    }
  }

  static void checkPublic(String param, String host) {
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw ProblemException.invalidParameter(param, "unknown host in '" + param + "'");
    }
    for (InetAddress a : addresses) {
      if (!isPublic(a)) {
        throw ProblemException.invalidParameter(param,
            "'" + param + "' points at a private, loopback or link-local address; refused");
      }
    }
  }

  static boolean isPublic(InetAddress a) {
    if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.isLinkLocalAddress()
        || a.isSiteLocalAddress() || a.isMulticastAddress()) {
      return false;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet6Address) {
      return (b[0] & 0xfe) != 0xfc; // fc00::/7 unique local
    }
    int first = b[0] & 0xff;
    int second = b[1] & 0xff;
    return !(first == 100 && second >= 64 && second < 128) // 100.64/10 carrier-grade NAT
        && first != 0 && !(first == 192 && second == 0 && (b[2] & 0xff) == 0);
  }
}
