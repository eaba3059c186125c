/** Keeps HTTP/1.1 keep-alive connections reading (a Reactor Netty server stall, worked around). */
@NullMarked
package dev.latent.support.keepalive;

import org.jspecify.annotations.NullMarked;
